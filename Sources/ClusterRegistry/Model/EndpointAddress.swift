import DNSWire

/// One address of an endpoint, with the fields DNS names and `explain` need.
///
/// EndpointSlice endpoints may list several addresses; they are flattened into one
/// `EndpointAddress` each (as CoreDNS's `object/endpoint.go` does), so lookups by IP and
/// A records need no inner array.
///
/// Layout (72 bytes): what repeats across endpoints — the node with its zone, the target's kind
/// with its namespace — is held through small shared objects that the decoder interns, so an
/// endpoint pays 8 bytes for each instead of 32.
public struct EndpointAddress: Sendable, Hashable {
    public var address: IPAddress
    public var conditions: EndpointConditions
    /// `hostname`: the first choice for the endpoint's DNS label (StatefulSet pods set it).
    public var hostname: String?
    /// `nodeName` and `zone`, shared by every endpoint on the same node.
    public var location: EndpointLocation?
    /// Usually the backing Pod; its name is the endpoint label under `endpoint_pod_names`.
    public var targetRef: ObjectReference?

    public init(
        address: IPAddress, conditions: EndpointConditions = .init(), hostname: String? = nil,
        location: EndpointLocation? = nil, targetRef: ObjectReference? = nil
    ) {
        self.address = address
        self.conditions = conditions
        self.hostname = hostname
        self.location = location
        self.targetRef = targetRef
    }

    /// Convenience for tests and small callers: builds an unshared location.
    public init(
        address: IPAddress, conditions: EndpointConditions = .init(), hostname: String? = nil,
        nodeName: String?, zone: String? = nil, targetRef: ObjectReference? = nil
    ) {
        self.init(
            address: address, conditions: conditions, hostname: hostname,
            location: nodeName == nil && zone == nil ? nil : EndpointLocation(nodeName: nodeName, zone: zone),
            targetRef: targetRef)
    }

    public var nodeName: String? { location?.nodeName }
    public var zone: String? { location?.zone }
}

/// Where an endpoint runs: its node and that node's zone. Immutable and compared by value;
/// the decoder shares one instance per distinct pair.
public final class EndpointLocation: Sendable, Hashable, CustomStringConvertible {
    public let nodeName: String?
    public let zone: String?

    public init(nodeName: String?, zone: String?) {
        self.nodeName = nodeName
        self.zone = zone
    }

    public static func == (a: EndpointLocation, b: EndpointLocation) -> Bool {
        a === b || (a.nodeName == b.nodeName && a.zone == b.zone)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(nodeName)
        hasher.combine(zone)
    }

    public var description: String { "node=\(nodeName ?? "-") zone=\(zone ?? "-")" }
}

/// The three EndpointSlice conditions, each true, false or absent, packed in one byte.
///
/// Only `ready` decides DNS answers (absent counts as ready, as in CoreDNS since PR #4632);
/// `serving` and `terminating` are kept for `explain`.
public struct EndpointConditions: Sendable, Hashable, CustomStringConvertible {
    private var bits: UInt8

    public init(ready: Bool? = nil, serving: Bool? = nil, terminating: Bool? = nil) {
        bits = Self.encode(ready) | Self.encode(serving) << 2 | Self.encode(terminating) << 4
    }

    public var ready: Bool? { Self.decode(bits) }
    public var serving: Bool? { Self.decode(bits >> 2) }
    public var terminating: Bool? { Self.decode(bits >> 4) }

    /// The condition DNS uses: `ready`, absent meaning ready.
    public var isReady: Bool { ready ?? true }

    public var description: String {
        func text(_ v: Bool?) -> String { v.map { String($0) } ?? "unset" }
        return "ready=\(text(ready)) serving=\(text(serving)) terminating=\(text(terminating))"
    }

    private static func encode(_ value: Bool?) -> UInt8 {
        switch value {
        case nil: 0
        case false?: 1
        case true?: 2
        }
    }

    private static func decode(_ bits: UInt8) -> Bool? {
        switch bits & 3 {
        case 1: false
        case 2: true
        default: nil
        }
    }
}

/// `targetRef`: the object behind an endpoint (24 bytes: the name, and a shared kind+namespace).
public struct ObjectReference: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var scope: ReferenceScope

    public init(kind: String, namespace: String, name: String) {
        self.init(name: name, scope: ReferenceScope(kind: kind, namespace: namespace))
    }

    public init(name: String, scope: ReferenceScope) {
        self.name = name
        self.scope = scope
    }

    public var kind: String { scope.kind }
    public var namespace: String { scope.namespace }

    public var description: String { namespace.isEmpty ? "\(kind)/\(name)" : "\(kind)/\(namespace)/\(name)" }
}

/// The kind and namespace of referenced objects (`Pod` in `production`), shared by every
/// reference that has them. Immutable and compared by value.
public final class ReferenceScope: Sendable, Hashable {
    public let kind: String
    public let namespace: String

    public init(kind: String, namespace: String) {
        self.kind = kind
        self.namespace = namespace
    }

    public static func == (a: ReferenceScope, b: ReferenceScope) -> Bool {
        a === b || (a.kind == b.kind && a.namespace == b.namespace)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(kind)
        hasher.combine(namespace)
    }
}

/// A port of an EndpointSlice (or of a legacy Endpoints subset): the port the pods listen on.
public struct EndpointPort: Sendable, Hashable {
    /// Matches the service port's name; nil when unnamed.
    public var name: String?
    public var `protocol`: TransportProtocol
    /// Nil means "all ports" in the API; such a port produces no SRV record.
    public var port: UInt16?

    public init(name: String?, protocol: TransportProtocol = .tcp, port: UInt16?) {
        self.name = name
        self.protocol = `protocol`
        self.port = port
    }
}

/// A group of addresses sharing one port list: an EndpointSlice, or a subset of a legacy
/// Endpoints object. Both kinds reduce to this so the snapshot merges them the same way.
///
/// The arrays are shared (copy-on-write) between the manifest store, every snapshot that uses
/// them and every `ServiceEndpoint` handed out, so a port list costs one buffer per slice.
public struct EndpointGroup: Sendable, Hashable {
    public var ports: [EndpointPort]
    public var addresses: [EndpointAddress]

    public init(ports: [EndpointPort], addresses: [EndpointAddress]) {
        self.ports = ports
        self.addresses = addresses
    }
}
