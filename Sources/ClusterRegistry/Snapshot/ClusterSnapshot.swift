import DNSWire
import Foundation
import Synchronization

/// An immutable view of the cluster with the indexes DNS answers need.
///
/// Built off the workers by `SnapshotBuilder`, published through a `SnapshotCell`, then only
/// read: every stored property is a `let` of a `Sendable` value type, so sharing one instance
/// among all worker threads is safe without locks.
///
/// Lookups are hash-based (by name, by IP) and cost the same at 10 and at 100 000 services.
/// Names are compared case-insensitively: Kubernetes names are validated lowercase on decode,
/// and lookups lowercase the query.
///
/// Storage: the objects stay in the per-source arrays they were decoded into (shared with the
/// manifest store, not copied); the snapshot adds sorted orders of 8-byte references and the
/// indexes.
public final class ClusterSnapshot: Sendable {
    /// Counts published snapshots: the previous snapshot's generation plus one.
    public let generation: UInt64
    /// The SOA serial: the Unix time of the last DNS-relevant change (CoreDNS §2.5). Unchanged
    /// when a rebuild changed nothing DNS can see.
    public let serial: UInt32
    /// When this snapshot was built.
    public let loadedAt: Date
    public let counts: ObjectCounts
    /// Objects of kinds the registry does not serve, by kind (`Deployment: 3`).
    public let unknownKinds: [String: Int]
    /// Every current manifest problem (errors and warnings), in file order.
    public let issues: [ManifestIssue]

    let contentDigest: UInt64
    let sources: [ClusterObjects]
    /// Services sorted by (namespace, name); a `ServiceID` is a position here.
    let serviceRefs: [ObjectRef]
    let serviceNames: NameIndex
    /// `groups[groupStart[i] ..< groupStart[i + 1]]` are service i's endpoint groups.
    let groupStart: [UInt32]
    let groups: [EndpointGroupEntry]
    let clusterIPIndex: AddressIndex<Int32>
    /// Pods sorted by (namespace, name).
    let podRefs: [ObjectRef]
    let podNames: NameIndex
    /// Endpoint and pod addresses → positions, built on first use: only whole-cluster readers
    /// (`explain`, tests) ask by address, and the 64 shard snapshots a server holds would
    /// otherwise keep a dictionary entry per endpoint address that nothing reads (the plugin
    /// answers PTR from its own index).
    private let addressIndexes = Mutex<AddressIndexes?>(nil)

    struct AddressIndexes: Sendable {
        var endpoints: AddressIndex<EndpointPosition>
        var pods: AddressIndex<Int32>
    }
    /// Sorted by name.
    let namespaceList: [NamespaceInfo]
    let namespaceIndex: [String: Int32]

    init(
        generation: UInt64, serial: UInt32, loadedAt: Date, counts: ObjectCounts, unknownKinds: [String: Int],
        issues: [ManifestIssue], contentDigest: UInt64, sources: [ClusterObjects], serviceRefs: [ObjectRef],
        serviceNames: NameIndex, groupStart: [UInt32], groups: [EndpointGroupEntry],
        clusterIPIndex: AddressIndex<Int32>, podRefs: [ObjectRef],
        podNames: NameIndex, namespaceList: [NamespaceInfo],
        namespaceIndex: [String: Int32]
    ) {
        self.generation = generation
        self.serial = serial
        self.loadedAt = loadedAt
        self.counts = counts
        self.unknownKinds = unknownKinds
        self.issues = issues
        self.contentDigest = contentDigest
        self.sources = sources
        self.serviceRefs = serviceRefs
        self.serviceNames = serviceNames
        self.groupStart = groupStart
        self.groups = groups
        self.clusterIPIndex = clusterIPIndex
        self.podRefs = podRefs
        self.podNames = podNames
        self.namespaceList = namespaceList
        self.namespaceIndex = namespaceIndex
    }

    /// A snapshot with no objects (generation 0), for a registry that has not loaded yet.
    public static func empty(now: Date = Date()) -> ClusterSnapshot {
        SnapshotBuilder.build(sources: [], previous: nil, now: now, generation: 0)
    }

    /// Builds a snapshot from `sources` (in precedence order: later wins on duplicates).
    ///
    /// - Parameters:
    ///   - issues: problems found while decoding, carried into the snapshot as they are.
    ///   - unknownKinds: objects of unserved kinds, by kind.
    ///   - previous: the snapshot this one replaces; decides `generation` and whether `serial`
    ///     moves (only when the DNS-relevant content differs).
    ///   - now: the clock, injectable for tests.
    public static func build(
        sources: [ObjectSource], issues: [ManifestIssue] = [], unknownKinds: [String: Int] = [:],
        previous: ClusterSnapshot?, now: Date = Date()
    ) -> ClusterSnapshot {
        SnapshotBuilder.build(sources: sources, issues: issues, unknownKinds: unknownKinds, previous: previous, now: now)
    }

    /// The errors only (not the warnings).
    public var errors: [ManifestIssue] { issues.filter { $0.severity == .error } }

    /// True when both snapshots answer every DNS question the same way (same DNS-relevant
    /// content), whatever their generations.
    public func hasSameDNSContent(as other: ClusterSnapshot) -> Bool { contentDigest == other.contentDigest }
}

// MARK: - Services

extension ClusterSnapshot {
    /// Every service, sorted by namespace then name; the index of a service is its `ServiceID`.
    public var services: ServiceList { ServiceList(snapshot: self) }

    public subscript(id: ServiceID) -> Service {
        let ref = serviceRefs[Int(id.rawValue)]
        return sources[Int(ref.source)].services[Int(ref.index)]
    }

    /// The service named `name` in `namespace`, compared case-insensitively.
    /// - Complexity: O(1) in the number of services (one hash, one or two probes).
    public func serviceID(namespace: String, name: String) -> ServiceID? {
        let ns = Self.lowercased(namespace)
        let n = Self.lowercased(name)
        // Compare the names in place: copying the whole `Service` would retain (and miss the
        // cache on) every buffer it references.
        return serviceNames.position(namespace: ns, name: n) { candidate in
            let ref = serviceRefs[Int(candidate)]
            return sources[Int(ref.source)].services[Int(ref.index)].name == n
                && sources[Int(ref.source)].services[Int(ref.index)].namespace == ns
        }.map(ServiceID.init(rawValue:))
    }

    public func service(namespace: String, name: String) -> Service? {
        serviceID(namespace: namespace, name: name).map { self[$0] }
    }

    /// The service whose cluster IP is `address` (the first in service order if several claim
    /// it, which a real cluster forbids; the builder warns).
    public func serviceID(clusterIP address: IPAddress) -> ServiceID? {
        clusterIPIndex.first(address).map(ServiceID.init(rawValue:))
    }

    /// The merged endpoints of a service: its EndpointSlices, or its legacy Endpoints when it has
    /// no slice at all.
    public func endpoints(of id: ServiceID) -> ServiceEndpoints {
        let i = Int(id.rawValue)
        return ServiceEndpoints(
            snapshot: self, service: id, groups: Int(groupStart[i])..<Int(groupStart[i + 1]),
            publishesNotReady: publishesNotReady(id))
    }

    /// Calls `body` with each endpoint group (EndpointSlice, or legacy Endpoints subset) of a
    /// service, in the order `endpoints(of:)` merges them, without building a `ServiceEndpoint`
    /// per address: for bulk readers (the `kubernetes` plugin's answer index over a million
    /// addresses) that read the addresses in place. An address is ready when
    /// `conditions.isReady`, or always when the service publishes not-ready addresses
    /// (`publishesNotReadyAddresses(of:)`).
    /// - Complexity: O(groups of the service), no allocation.
    public func forEachEndpointGroup(of id: ServiceID, _ body: (EndpointGroup) throws -> Void) rethrows {
        let i = Int(id.rawValue)
        for g in Int(groupStart[i])..<Int(groupStart[i + 1]) { try body(groups[g].group) }
    }

    /// `publishNotReadyAddresses` or the tolerate-unready annotation, read in place.
    public func publishesNotReadyAddresses(of id: ServiceID) -> Bool { publishesNotReady(id) }

    /// Reads the flag in place: copying the whole `Service` would retain every buffer it holds.
    func publishesNotReady(_ id: ServiceID) -> Bool {
        let ref = serviceRefs[Int(id.rawValue)]
        return sources[Int(ref.source)].services[Int(ref.index)].publishesNotReadyAddresses
    }

    /// Every endpoint address equal to `address`, across all services (PTR answers need one per
    /// service). Ready or not: filter on `isReady`.
    public func endpoints(withIP address: IPAddress) -> [ServiceEndpoint] {
        withAddressIndexes { $0.endpoints.all(address) }.map { position in
            let entry = groups[position.group]
            let id = ServiceID(rawValue: entry.service)
            let endpoint = entry.group.addresses[position.address]
            return ServiceEndpoint(
                service: id, endpoint: endpoint, ports: entry.group.ports,
                isReady: publishesNotReady(id) || endpoint.conditions.isReady, origin: entry.origin)
        }
    }

    /// The services of one namespace (a contiguous run of `services`).
    public func serviceIDs(inNamespace namespace: String) -> [ServiceID] {
        guard let info = self.namespace(named: namespace) else { return [] }
        return info.services.map(ServiceID.init(rawValue:))
    }

    /// Kubernetes names are lowercase; only a query with capitals pays for a copy.
    static func lowercased(_ s: String) -> String {
        s.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) ? s.lowercased() : s
    }
}

/// `snapshot.services`: a random-access view of the services in (namespace, name) order.
public struct ServiceList: RandomAccessCollection, Sendable {
    let snapshot: ClusterSnapshot
    public var startIndex: Int { 0 }
    public var endIndex: Int { snapshot.serviceRefs.count }
    public subscript(position: Int) -> Service { snapshot[ServiceID(rawValue: Int32(position))] }
    /// The IDs, for `endpoints(of:)`.
    public var ids: [ServiceID] { (0..<Int32(endIndex)).map(ServiceID.init(rawValue:)) }
}

// MARK: - Pods

extension ClusterSnapshot {
    /// Every pod, sorted by namespace then name.
    public var pods: PodList { PodList(snapshot: self) }

    func pod(at position: Int32) -> Pod {
        let ref = podRefs[Int(position)]
        return sources[Int(ref.source)].pods[Int(ref.index)]
    }

    public func pod(namespace: String, name: String) -> Pod? {
        let ns = Self.lowercased(namespace)
        let n = Self.lowercased(name)
        return podNames.position(namespace: ns, name: n) { candidate in
            let ref = podRefs[Int(candidate)]
            return sources[Int(ref.source)].pods[Int(ref.index)].name == n
                && sources[Int(ref.source)].pods[Int(ref.index)].namespace == ns
        }.map { pod(at: $0) }
    }

    /// Every pod with `address` among its IPs (several for host-network pods).
    public func pods(withIP address: IPAddress) -> [Pod] {
        withAddressIndexes { $0.pods.all(address) }.map { pod(at: $0) }
    }

    /// What `pods verified` asks: is there a pod in `namespace` with `address` that is not in
    /// phase Succeeded, Failed or Unknown? - Complexity: O(1) for an address held by one pod.
    public func hasServablePod(withIP address: IPAddress, inNamespace namespace: String) -> Bool {
        let ns = Self.lowercased(namespace)
        return withAddressIndexes { $0.pods.all(address) }.contains { i in
            let p = pod(at: i)
            return p.namespace == ns && p.isServable
        }
    }

    public func pods(inNamespace namespace: String) -> [Pod] {
        guard let info = self.namespace(named: namespace) else { return [] }
        return info.pods.map { pod(at: $0) }
    }
}

/// `snapshot.pods`: the pods in (namespace, name) order.
public struct PodList: RandomAccessCollection, Sendable {
    let snapshot: ClusterSnapshot
    public var startIndex: Int { 0 }
    public var endIndex: Int { snapshot.podRefs.count }
    public subscript(position: Int) -> Pod { snapshot.pod(at: Int32(position)) }
}

// MARK: - Namespaces

extension ClusterSnapshot {
    /// Every namespace, declared or implied, sorted by name.
    public var namespaces: [NamespaceInfo] { namespaceList }

    /// The namespace called `name` (case-insensitive), declared or implied by its objects.
    public func namespace(named name: String) -> NamespaceInfo? {
        namespaceIndex[Self.lowercased(name)].map { namespaceList[Int($0)] }
    }

    public func namespaceExists(_ name: String) -> Bool { namespaceIndex[Self.lowercased(name)] != nil }
}

// MARK: - Lookups by address

extension ClusterSnapshot {
    /// Runs `body` on the address indexes, building them on first use.
    func withAddressIndexes<R>(_ body: (AddressIndexes) -> R) -> R {
        addressIndexes.withLock { cached in
            if let cached { return body(cached) }
            var endpoints = AddressIndex<EndpointPosition>(reservingCapacity: counts.endpointAddresses)
            for (g, entry) in groups.enumerated() {
                for (a, address) in entry.group.addresses.enumerated() {
                    endpoints.insert(EndpointPosition(group: g, address: a), for: address.address)
                }
            }
            var pods = AddressIndex<Int32>(reservingCapacity: podRefs.count)
            for position in podRefs.indices {
                for ip in pod(at: Int32(position)).ips { pods.insert(Int32(position), for: ip) }
            }
            let built = AddressIndexes(endpoints: endpoints, pods: pods)
            cached = built
            return body(built)
        }
    }
}
