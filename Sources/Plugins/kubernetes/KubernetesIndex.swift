import ClusterRegistry
import DNSWire

/// Everything the `kubernetes` plugin answers from, precomputed from one registry snapshot and
/// one plugin configuration, looked up with bytes straight from the query.
///
/// The query name's labels *are* the keys: `web-app.production` of
/// `web-app.production.svc.cluster.local.` is looked up as the wire bytes
/// `07 web-app 0a production`, a contiguous slice of the packet, in a case-folding table. An
/// endpoint name is found by hashing its one label with the service's number, a PTR target by
/// hashing the address. So answering costs a few hash probes and copies, never a `String`, and
/// no allocation. The index is immutable and built off the workers (on the registry's thread)
/// whenever the registry publishes a new snapshot; workers pick up the new one between queries.
///
/// Invariants the handler relies on: every label in `arena` is 1...63 octets and lowercase;
/// `ServiceEntry.endpoints` ranges are disjoint and in service order; an endpoint's
/// `nextSameName` chain stays within its service and goes forward; PTR chains hold each
/// (service, endpoint name) once.
public final class KubernetesIndex: Sendable {
    public enum ServiceKind: UInt8, Sendable { case clusterIP, headless, externalName }

    /// Where a service's ready endpoints and its ports are: 16 octets, four to a cache line in
    /// `serviceEntries`. Its key, kind, flags and IPv4 cluster IP are in its `ServiceCard`,
    /// which the lookup has already read; what few services have (an IPv6 cluster IP, an
    /// ExternalName target) is in `serviceExtras`, found through the card.
    struct ServiceEntry: Sendable, BitwiseCopyable {
        var endpointStart: Int32
        var endpointCount: Int32
        var portStart: Int32
        var portCount: Int32

        /// Ready endpoints, in slice order, in `endpoints`.
        var endpoints: Range<Int32> { endpointStart..<(endpointStart + endpointCount) }
        /// The service's ports in `ports`; empty for a service without ports.
        var ports: Range<Int32> { portStart..<(portStart + portCount) }

        init(endpoints: Range<Int32>, ports: Range<Int32>) {
            endpointStart = endpoints.lowerBound
            endpointCount = Int32(endpoints.count)
            portStart = ports.lowerBound
            portCount = Int32(ports.count)
        }
    }

    /// What only some services have, out of line: most services have neither.
    struct ServiceExtra: Sendable {
        var clusterIPv6: IPv6Address?
        /// ExternalName target as an uncompressed lowercase wire name in the arena (length 0: none).
        var externalOffset: UInt32 = 0
        var externalLength: UInt8 = 0
    }

    /// One ready endpoint: 32 octets, two to a cache line in `endpoints`. An IPv6 address is
    /// in `endpointIPv6` (`address` is its position there), so an IPv4 endpoint reads one
    /// half-line.
    struct EndpointEntry: Sendable, BitwiseCopyable {
        /// The endpoint's DNS label in the arena (hostname, pod name or dashed IP), no length octet.
        var nameOffset: UInt32
        var nameLength: UInt8
        /// False for a later endpoint of the same service with the same address (kept for SRV
        /// and endpoint names, skipped in the service's A/AAAA answer).
        var firstWithAddress: Bool
        /// True when another endpoint of the service has the same label (`dup-name` in CoreDNS's
        /// fixtures): SRV answers then check for duplicate targets.
        var sharesName: Bool
        /// True when `address` is a position in `endpointIPv6`, false when it is the IPv4 address.
        var isIPv6: Bool
        var service: Int32
        /// The next endpoint of the same service with the same label, or -1.
        var nextSameName: Int32
        /// The IPv4 address (`IPv4Address.rawValue`), or the IPv6 address's position in `endpointIPv6`.
        var address: UInt32
        /// The ports of its EndpointSlice / subset, in `ports` (count 0: a slice without ports).
        var portStart: Int32
        var portCount: Int32
        /// Pads the entry to 32 octets, so that two fill a line and none straddles one.
        var reserved: UInt32 = 0

        var ports: Range<Int32> { portStart..<(portStart + portCount) }

        /// The endpoint's address; `ipv6` is the index's `endpointIPv6`.
        @inline(__always)
        func address(_ ipv6: [IPv6Address]) -> IPAddress {
            isIPv6 ? .v6(ipv6[Int(address)]) : .v4(IPv4Address(rawValue: address))
        }

        /// True when the endpoint's address is of the family `type` (A or AAAA) asks for.
        @inline(__always)
        func hasFamily(of type: RecordType) -> Bool { type == (isIPv6 ? .aaaa : .a) }
    }

    /// One port of a service or an EndpointSlice: 16 octets, four to a line in `ports`. A name
    /// of up to `inlineName` octets (`http`, `grpc`, `dns-tcp`, `metrics`: nearly all) is held
    /// in the entry, so matching `_<port>` of an SRV question reads no arena line.
    struct PortEntry: Sendable {
        /// Names up to this many octets live in the entry.
        static let inlineName = 11

        var port: UInt16
        var proto: TransportProtocol
        /// False for an EndpointSlice port without a number (no SRV record).
        var hasNumber: Bool
        /// 0: unnamed.
        var nameLength: UInt8
        /// The name (lowercase) when it is at most `inlineName` octets; else its offset in the
        /// arena, in the first four octets (native byte order).
        var name: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

        /// A port named `name` (lowercase, 0...62 octets); a long name is appended to `arena`.
        init(name: some Collection<UInt8>, proto: TransportProtocol, hasNumber: Bool, port: UInt16, arena: inout [UInt8]) {
            self.port = port
            self.proto = proto
            self.hasNumber = hasNumber
            nameLength = UInt8(name.count)
            if name.count <= Self.inlineName {
                withUnsafeMutableBytes(of: &self.name) { bytes in
                    for (i, b) in name.enumerated() { bytes[i] = b }
                }
            } else {
                var offset = UInt32(arena.count)
                arena.append(contentsOf: name)
                withUnsafeMutableBytes(of: &self.name) { bytes in
                    withUnsafeBytes(of: &offset) { bytes.copyMemory(from: $0) }
                }
            }
        }

        /// Calls `body` with the port's name (empty when unnamed); valid only inside the call.
        /// Allocation-free.
        @inline(__always)
        func withName<R>(in index: KubernetesIndex, _ body: (UnsafeRawBufferPointer) -> R) -> R {
            if Int(nameLength) <= Self.inlineName {
                return withUnsafeBytes(of: name) { body(UnsafeRawBufferPointer(rebasing: $0[0..<Int(nameLength)])) }
            }
            let offset = withUnsafeBytes(of: name) { $0.loadUnaligned(as: UInt32.self) }
            return index.withArena(offset, nameLength, body)
        }
    }

    struct PTREntry: Sendable {
        var service: Int32
        /// -1: the service's cluster IP (of the address's family).
        var endpoint: Int32
        /// The next target for the same address, -1 at the end.
        var next: Int32
    }

    /// One NS record of the zone apex and the addresses that go with it as glue.
    struct NameServer: Sendable {
        /// -1: `ns.dns.<zone>`; else the service (`kube-dns.kube-system.svc.<zone>`).
        var service: Int32
        /// -1: the service's own name; else an endpoint of a headless service, whose name
        /// (`10-244-0-2.kube-dns.kube-system.svc.<zone>`) and address this is.
        var endpoint: Int32 = -1
        var addresses: [IPAddress]
    }

    let config: KubernetesConfig
    public let generation: UInt64
    public let serial: UInt32
    public let loaded: Bool
    let arena: [UInt8]
    let namespaces: WireNameTable<Int32>
    /// `[len]svc[len]ns` (any case) → its entry in `serviceEntries`; the keys are the entries'
    /// own bytes in the arena, so the table holds no copy of them.
    let services: ProbeTable
    let serviceEntries: LineAlignedTable<ServiceEntry>
    /// The lookup's and the ClusterIP answer's part of each service, one cache line each, in
    /// `serviceEntries` order.
    let cards: ServiceCards
    /// The rare part of the services whose card has an `extra`.
    let serviceExtras: [ServiceExtra]
    let endpoints: LineAlignedTable<EndpointEntry>
    /// The IPv6 addresses of IPv6 endpoints, where their `address` points.
    let endpointIPv6: [IPv6Address]
    /// (service, endpoint label) → the first endpoint with that label.
    let endpointNames: ProbeTable
    let ports: LineAlignedTable<PortEntry>
    /// Address → the head of its PTR chain in `ptrEntries`.
    let ptr: ProbeTable
    let ptrEntries: [PTREntry]
    /// `pods verified`: (address, namespace) of every running or pending pod.
    let verifiedPods: Set<PodKey>
    /// `pods verified`: the namespace of the pod at each address (the first such pod), and
    /// each namespace's search path, for `autopath @kubernetes`.
    let clientNamespaces: [IPAddress: Int32]
    let searchPaths: [[DomainName]]
    /// Wire names of the zones (lowercase), for suffix matching.
    let zoneWires: [[UInt8]]
    /// The first forward zone, where PTR targets live (lowercase wire form).
    let primaryZoneWire: [UInt8]
    /// The zone's NS records (CoreDNS: the services fronting this server, else `ns.dns.<zone>`).
    let nameServers: [NameServer]
    /// Every name-server address, for `ns.dns.<zone>` A/AAAA.
    let nameServerAddresses: [IPAddress]

    struct PodKey: Hashable, Sendable {
        var address: IPAddress
        var namespace: Int32
    }

    /// Octets the index holds, for memory accounting.
    public var footprint: Int {
        arena.capacity + namespaces.footprint + services.footprint + cards.footprint + endpointNames.footprint + ptr.footprint
            + serviceEntries.footprint + serviceExtras.capacity * MemoryLayout<ServiceExtra>.stride
            + endpoints.footprint + endpointIPv6.capacity * MemoryLayout<IPv6Address>.stride
            + ports.footprint
            + ptrEntries.capacity * MemoryLayout<PTREntry>.stride
            + verifiedPods.capacity * (MemoryLayout<PodKey>.stride + 1)
    }

    public var serviceCount: Int { serviceEntries.count }
    public var endpointCount: Int { endpoints.count }

    init(config: KubernetesConfig, generation: UInt64, serial: UInt32, loaded: Bool, arena: [UInt8],
         namespaces: WireNameTable<Int32>, services: ProbeTable, serviceEntries: LineAlignedTable<ServiceEntry>,
         cards: ServiceCards, serviceExtras: [ServiceExtra], endpoints: LineAlignedTable<EndpointEntry>,
         endpointIPv6: [IPv6Address], endpointNames: ProbeTable, ports: LineAlignedTable<PortEntry>, ptr: ProbeTable,
         ptrEntries: [PTREntry], verifiedPods: Set<PodKey>, clientNamespaces: [IPAddress: Int32],
         searchPaths: [[DomainName]], nameServers: [NameServer]) {
        self.config = config
        self.generation = generation
        self.serial = serial
        self.loaded = loaded
        self.arena = arena
        self.namespaces = namespaces
        self.services = services
        self.serviceEntries = serviceEntries
        self.cards = cards
        self.serviceExtras = serviceExtras
        self.endpoints = endpoints
        self.endpointIPv6 = endpointIPv6
        self.endpointNames = endpointNames
        self.ports = ports
        self.ptr = ptr
        self.ptrEntries = ptrEntries
        self.verifiedPods = verifiedPods
        self.clientNamespaces = clientNamespaces
        self.searchPaths = searchPaths
        self.zoneWires = config.zones.map(\.wire)
        self.primaryZoneWire = config.primaryZone.wire
        self.nameServers = nameServers
        var all: [IPAddress] = []
        for server in nameServers { for a in server.addresses where !all.contains(a) { all.append(a) } }
        self.nameServerAddresses = all
    }

    /// The same tables under another registry state's generation and serial, with the whole
    /// cluster's current namespace table and pod tables: how an unchanged shard joins a new
    /// `KubernetesIndexSet` without copying anything (every array is shared).
    func rewrapped(generation: UInt64, serial: UInt32, loaded: Bool, namespaces: WireNameTable<Int32>,
                   pods: PodTables?) -> KubernetesIndex {
        KubernetesIndex(
            config: config, generation: generation, serial: serial, loaded: loaded, arena: arena, namespaces: namespaces,
            services: services, serviceEntries: serviceEntries, cards: cards, serviceExtras: serviceExtras,
            endpoints: endpoints, endpointIPv6: endpointIPv6, endpointNames: endpointNames,
            ports: ports, ptr: ptr, ptrEntries: ptrEntries, verifiedPods: pods?.verified ?? verifiedPods,
            clientNamespaces: pods?.clientNamespaces ?? clientNamespaces, searchPaths: pods?.searchPaths ?? searchPaths,
            nameServers: nameServers)
    }

    /// What `pods verified` and `autopath` read, for the whole cluster.
    struct PodTables: Sendable {
        var verified: Set<PodKey> = []
        var clientNamespaces: [IPAddress: Int32] = [:]
        var searchPaths: [[DomainName]] = []
    }

    /// Addresses `forEachPTRAddress` visits (cluster IPs and endpoints; repeats counted).
    var ptrAddressCount: Int { serviceEntries.count + endpoints.count }

    /// Every address with a PTR record here: the cluster IPs and the ready endpoints.
    func forEachPTRAddress(_ body: (IPAddress) -> Void) {
        for s in 0..<Int32(serviceEntries.count) {
            if let v4 = clusterIPv4(s) { body(.v4(v4)) }
            if let v6 = clusterIPv6(s) { body(.v6(v6)) }
        }
        for e in endpoints.indices { body(address(of: endpoints[e])) }
    }

    // MARK: Service and endpoint fields

    /// Service `s`'s IPv4 cluster IP (from its card), or nil.
    @inline(__always)
    func clusterIPv4(_ s: Int32) -> IPv4Address? {
        let card = cards[s]
        return card.flags.contains(.clusterIPv4) ? IPv4Address(rawValue: card.clusterIPv4) : nil
    }

    /// Service `s`'s IPv6 cluster IP (out of line), or nil.
    @inline(__always)
    func clusterIPv6(_ s: Int32) -> IPv6Address? {
        let card = cards[s]
        guard card.flags.contains(.clusterIPv6), card.extra >= 0 else { return nil }
        return serviceExtras[Int(card.extra)].clusterIPv6
    }

    /// The ExternalName target of service `s` (wire form in the arena), or an empty range.
    func externalTarget(_ s: Int32) -> (offset: UInt32, length: UInt8) {
        let card = cards[s]
        guard card.extra >= 0 else { return (0, 0) }
        let extra = serviceExtras[Int(card.extra)]
        return (extra.externalOffset, extra.externalLength)
    }

    /// Where service `s`'s key `[len]svc[len]ns` is in the arena.
    @inline(__always)
    func keyRange(_ s: Int32) -> Range<Int> { cards.keyRange(s) }

    /// Service `s`'s key `[len]svc[len]ns` (lowercase) to write into a target name: from its
    /// card when it fits there, the line its lookup has read, so a PTR or SRV target does not
    /// read the arena for it; else from `arena`, the index's arena bytes.
    @inline(__always)
    func key(_ s: Int32, arena: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        cards.inlineKey(s) ?? UnsafeRawBufferPointer(rebasing: arena[keyRange(s)])
    }

    /// An endpoint's address.
    @inline(__always)
    func address(of endpoint: EndpointEntry) -> IPAddress { endpoint.address(endpointIPv6) }

    /// True when two endpoints have the same address (an IPv4 one compared in the entries).
    @inline(__always)
    func sameAddress(_ a: EndpointEntry, _ b: EndpointEntry) -> Bool {
        guard a.isIPv6 == b.isIPv6 else { return false }
        return a.isIPv6 ? endpointIPv6[Int(a.address)] == endpointIPv6[Int(b.address)] : a.address == b.address
    }

    // MARK: Lookups (allocation-free)

    /// Calls `body` with arena bytes; valid only inside the call.
    @inline(__always)
    func withArena<R>(_ offset: UInt32, _ length: UInt8, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        arena.withUnsafeBytes { raw in
            body(UnsafeRawBufferPointer(rebasing: raw[Int(offset)..<(Int(offset) + Int(length))]))
        }
    }

    /// The hash of an endpoint label (any case) within service `service`.
    @inline(__always)
    static func endpointHash(service: Int32, label: UnsafeRawBufferPointer) -> UInt64 {
        WireName.hashIgnoringCase(label) ^ (UInt64(UInt32(bitPattern: service)) &* 0xD6E8_FEB8_6659_FD93)
    }

    /// The service whose key `[len]svc[len]ns` is `key` (any case), or nil.
    /// - Complexity: O(key length). Allocation-free.
    @inline(__always)
    func service(key: UnsafeRawBufferPointer) -> Int32? {
        service(key: key, hash: WireName.hashIgnoringCase(key))
    }

    /// `service(key:)` with the key's hash (`WireName.hashIgnoringCase`) already computed, as
    /// the set computed it to choose the shard.
    @inline(__always)
    func service(key: UnsafeRawBufferPointer, hash: UInt64) -> Int32? {
        // The slot, then the service's card (the key is compared there): two cache lines.
        arena.withUnsafeBytes { arena in
            services.find(hash: hash) { s in cards.keyMatches(s, key, arena: arena) }
        }
    }

    /// Services with at most this many ready endpoints have their labels found by a scan
    /// rather than through `endpointNames`: most services are that small, and a scan of a few
    /// labels (their lengths first) costs less than a hash probe's cache miss, while keeping a
    /// million table slots out of the index.
    static let scannedEndpoints: Int32 = 16

    /// The first ready endpoint of `service` whose label is `label` (any case), or nil; the rest
    /// follow through `nextSameName`.
    /// - Complexity: O(label length) (at most `scannedEndpoints` comparisons). Allocation-free.
    func endpoint(named label: UnsafeRawBufferPointer, inService service: Int32) -> Int32? {
        guard !label.isEmpty, label.count <= 63 else { return nil }
        let range = serviceEntries[Int(service)].endpoints
        if range.count <= Int(Self.scannedEndpoints) {
            return arena.withUnsafeBytes { arena in
                for e in range {
                    let entry = endpoints[Int(e)]
                    guard Int(entry.nameLength) == label.count else { continue }
                    let start = Int(entry.nameOffset)
                    if WireName.equalIgnoringCase(UnsafeRawBufferPointer(rebasing: arena[start..<(start + label.count)]), label) {
                        return e
                    }
                }
                return nil
            }
        }
        let hash = Self.endpointHash(service: service, label: label)
        return arena.withUnsafeBytes { arena in
            endpointNames.find(hash: hash) { e in
                let entry = endpoints[Int(e)]
                guard entry.service == service, Int(entry.nameLength) == label.count else { return false }
                let start = Int(entry.nameOffset)
                return WireName.equalIgnoringCase(UnsafeRawBufferPointer(rebasing: arena[start..<(start + label.count)]), label)
            }
        }
    }

    /// The head of the PTR chain for `address`, or nil.
    /// - Complexity: O(1) expected. Allocation-free.
    func ptrHead(for address: IPAddress) -> Int32? {
        ptr.find(hash: address.probeHash) { head in
            let entry = ptrEntries[Int(head)]
            if entry.endpoint >= 0 { return self.address(of: endpoints[Int(entry.endpoint)]) == address }
            switch address {
            case .v4(let a):
                let card = cards[entry.service]
                return card.flags.contains(.clusterIPv4) && card.clusterIPv4 == a.rawValue
            case .v6(let a): return clusterIPv6(entry.service) == a
            }
        }
    }
}
