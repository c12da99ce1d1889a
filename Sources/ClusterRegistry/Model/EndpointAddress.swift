import DNSWire

/// One address of an endpoint, with the fields DNS names and `explain` need.
///
/// EndpointSlice endpoints may list several addresses; they are flattened into one
/// `EndpointAddress` each (as CoreDNS's `object/endpoint.go` does), so lookups by IP and
/// A records need no inner array. The stored property order keeps the struct at 120 bytes.
public struct EndpointAddress: Sendable, Hashable {
    public var address: IPAddress
    public var conditions: EndpointConditions
    /// `hostname`: the first choice for the endpoint's DNS label (StatefulSet pods set it).
    public var hostname: String?
    public var nodeName: String?
    public var zone: String?
    /// Usually the backing Pod; its name is the endpoint label under `endpoint_pod_names`.
    public var targetRef: ObjectReference?

    public init(
        address: IPAddress, conditions: EndpointConditions = .init(), hostname: String? = nil,
        nodeName: String? = nil, zone: String? = nil, targetRef: ObjectReference? = nil
    ) {
        self.address = address
        self.conditions = conditions
        self.hostname = hostname
        self.nodeName = nodeName
        self.zone = zone
        self.targetRef = targetRef
    }
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

/// `targetRef`: the object behind an endpoint.
public struct ObjectReference: Sendable, Hashable, CustomStringConvertible {
    public var kind: String
    public var namespace: String
    public var name: String

    public init(kind: String, namespace: String, name: String) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
    }

    public var description: String { namespace.isEmpty ? "\(kind)/\(name)" : "\(kind)/\(namespace)/\(name)" }
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
