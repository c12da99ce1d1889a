import ClusterRegistry
import DNSWire

/// Everything the `kubernetes` plugin answers from, precomputed from one registry snapshot and
/// one plugin configuration, looked up with bytes straight from the query.
///
/// The query name's labels *are* the keys: `web-app.production` of
/// `web-app.production.svc.cluster.local.` is looked up as the wire bytes
/// `07 web-app 0a production`, a contiguous slice of the packet, in a case-folding table. So
/// answering a service, endpoint or SRV query costs a few hash probes and copies, never a
/// `String`, and no allocation. The index is immutable and built off the workers whenever the
/// registry publishes a new snapshot; workers pick up the new one between queries.
public final class KubernetesIndex: Sendable {
    public enum ServiceKind: UInt8, Sendable { case clusterIP, headless, externalName }

    struct ServiceEntry: Sendable {
        var kind: ServiceKind
        var namespace: Int32
        /// `[len]svc[len]ns` in the arena: the key, and the labels of SRV/PTR targets.
        var keyOffset: UInt32
        var keyLength: UInt8
        var clusterIPv4: IPv4Address?
        var clusterIPv6: IPv6Address?
        /// Ready endpoints, deduplicated by address for A/AAAA answers, in `endpoints`.
        var endpoints: Range<Int32>
        var readyV4: Int32
        var readyV6: Int32
        var ports: Range<Int32>
        /// ExternalName target as an uncompressed wire name in the arena.
        var externalOffset: UInt32
        var externalLength: UInt8
        /// Endpoints in the registry, ready or not (for `ignore empty_service`).
        var hasReadyEndpoints: Bool
    }

    struct EndpointEntry: Sendable {
        /// The endpoint's DNS label in the arena (hostname, pod name or dashed IP).
        var nameOffset: UInt32
        var nameLength: UInt8
        var address: IPAddress
        /// The ports of its EndpointSlice / subset, in `ports`.
        var ports: Range<Int32>
        /// False for a second endpoint with the same address (kept for SRV, skipped for A).
        var firstWithAddress: Bool
    }

    struct PortEntry: Sendable {
        var nameOffset: UInt32
        var nameLength: UInt8      // 0: unnamed
        var proto: TransportProtocol
        var port: UInt16
        var hasPort: Bool
    }

    struct PTREntry: Sendable {
        var service: Int32
        var endpoint: Int32        // -1: the service's cluster IP
        var next: Int32            // next target for the same address, -1 at the end
    }

    let config: KubernetesConfig
    public let generation: UInt64
    public let serial: UInt32
    public let loaded: Bool
    let arena: [UInt8]
    let namespaces: WireNameTable<Int32>
    let services: WireNameTable<Int32>
    let serviceEntries: [ServiceEntry]
    let endpointNames: WireNameTable<Range<Int32>>
    /// Endpoint entries grouped by service; `endpointsByName` groups indices by name.
    let endpoints: [EndpointEntry]
    let endpointsByName: [Int32]
    let ports: [PortEntry]
    let ptr: [IPAddress: Int32]
    let ptrEntries: [PTREntry]
    /// `pods verified`: (address, namespace) of every running or pending pod.
    let verifiedPods: Set<PodKey>
    /// Wire names of the zones (lowercase) and their lengths, for suffix matching.
    let zoneWires: [[UInt8]]
    /// The name server answered for `<zone> NS` and its addresses (glue).
    let nameServerLabels: [UInt8]    // wire labels before the zone, e.g. 02 ns 03 dns
    let nameServerAddresses: [IPAddress]

    struct PodKey: Hashable, Sendable {
        var address: IPAddress
        var namespace: Int32
    }

    /// Octets the index holds, for memory accounting.
    public var footprint: Int {
        arena.capacity + namespaces.footprint + services.footprint + endpointNames.footprint
            + serviceEntries.capacity * MemoryLayout<ServiceEntry>.stride
            + endpoints.capacity * MemoryLayout<EndpointEntry>.stride
            + endpointsByName.capacity * 4 + ports.capacity * MemoryLayout<PortEntry>.stride
            + ptr.capacity * (MemoryLayout<IPAddress>.stride + 4 + 8) + ptrEntries.capacity * MemoryLayout<PTREntry>.stride
    }

    public var serviceCount: Int { serviceEntries.count }
    public var endpointCount: Int { endpoints.count }

    init(config: KubernetesConfig, generation: UInt64, serial: UInt32, loaded: Bool, arena: [UInt8],
         namespaces: WireNameTable<Int32>, services: WireNameTable<Int32>, serviceEntries: [ServiceEntry],
         endpointNames: WireNameTable<Range<Int32>>, endpoints: [EndpointEntry], endpointsByName: [Int32],
         ports: [PortEntry], ptr: [IPAddress: Int32], ptrEntries: [PTREntry], verifiedPods: Set<PodKey>,
         nameServerLabels: [UInt8], nameServerAddresses: [IPAddress]) {
        self.config = config
        self.generation = generation
        self.serial = serial
        self.loaded = loaded
        self.arena = arena
        self.namespaces = namespaces
        self.services = services
        self.serviceEntries = serviceEntries
        self.endpointNames = endpointNames
        self.endpoints = endpoints
        self.endpointsByName = endpointsByName
        self.ports = ports
        self.ptr = ptr
        self.ptrEntries = ptrEntries
        self.verifiedPods = verifiedPods
        self.zoneWires = config.zones.map(\.wire)
        self.nameServerLabels = nameServerLabels
        self.nameServerAddresses = nameServerAddresses
    }

    /// Calls `body` with arena bytes; valid only inside the call.
    @inline(__always)
    func withArena<R>(_ offset: UInt32, _ length: UInt8, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        arena.withUnsafeBytes { raw in
            body(UnsafeRawBufferPointer(rebasing: raw[Int(offset)..<(Int(offset) + Int(length))]))
        }
    }
}

// MARK: - Building

extension KubernetesIndex {
    /// Builds the index for `snapshot` under `config`.
    /// - Parameters:
    ///   - localAddresses: this server's addresses, for the zone's NS record and glue.
    public static func build(snapshot: ClusterSnapshot, config: KubernetesConfig, loaded: Bool,
                             localAddresses: [IPAddress]) -> KubernetesIndex {
        var builder = Builder(config: config, snapshot: snapshot)
        builder.addNamespaces()
        builder.addServices()
        builder.addPTR()
        if config.pods == .verified { builder.addPods() }
        let (nsLabels, nsAddresses) = builder.nameServer(localAddresses: localAddresses)
        builder.arena.append(contentsOf: nsLabels)
        return KubernetesIndex(
            config: config, generation: snapshot.generation, serial: snapshot.serial, loaded: loaded,
            arena: builder.arena, namespaces: builder.namespaces, services: builder.services,
            serviceEntries: builder.serviceEntries, endpointNames: builder.endpointNames, endpoints: builder.endpoints,
            endpointsByName: builder.endpointsByName, ports: builder.ports, ptr: builder.ptr,
            ptrEntries: builder.ptrEntries, verifiedPods: builder.verifiedPods,
            nameServerLabels: nsLabels, nameServerAddresses: nsAddresses)
    }

    struct Builder {
        let config: KubernetesConfig
        let snapshot: ClusterSnapshot
        var arena: [UInt8] = []
        var namespaces = WireNameTable<Int32>()
        var namespaceIndex: [String: Int32] = [:]
        var services: WireNameTable<Int32>
        var serviceEntries: [ServiceEntry] = []
        var endpointNames: WireNameTable<Range<Int32>>
        var endpoints: [EndpointEntry] = []
        var endpointsByName: [Int32] = []
        var ports: [PortEntry] = []
        var ptr: [IPAddress: Int32] = [:]
        var ptrEntries: [PTREntry] = []
        var verifiedPods: Set<PodKey> = []

        init(config: KubernetesConfig, snapshot: ClusterSnapshot) {
            self.config = config
            self.snapshot = snapshot
            services = WireNameTable(capacity: snapshot.counts.services)
            endpointNames = WireNameTable(capacity: config.noEndpoints ? 16 : snapshot.counts.endpointAddresses)
            arena.reserveCapacity(snapshot.counts.services * 24 + snapshot.counts.endpointAddresses * 12)
        }

        func exposes(_ namespace: NamespaceInfo) -> Bool {
            if let allowed = config.namespaces { return allowed.contains(namespace.name) }
            if let selector = config.namespaceLabels { return selector.matches(namespace.labels) }
            return true
        }

        /// Appends `[len]label` to `bytes`; false when the label is not a valid DNS label.
        @discardableResult
        static func appendLabel(_ label: String, to bytes: inout [UInt8]) -> Bool {
            let utf8 = label.utf8
            guard !utf8.isEmpty, utf8.count <= 63 else { return false }
            bytes.append(UInt8(utf8.count))
            bytes.append(contentsOf: utf8.lazy.map(WireName.lowercase))
            return true
        }

        mutating func addNamespaces() {
            for info in snapshot.namespaces where exposes(info) {
                var key: [UInt8] = []
                guard Builder.appendLabel(info.name, to: &key) else { continue }
                let index = Int32(namespaceIndex.count)
                namespaceIndex[info.name] = index
                namespaces.insert(key, index)
            }
        }

        mutating func addServices() {
            for (position, service) in snapshot.services.enumerated() {
                guard let ns = namespaceIndex[service.namespace] else { continue }
                if let selector = config.labels, !selector.matches(service.labels) { continue }
                let keyOffset = UInt32(arena.count)
                guard Builder.appendLabel(service.name, to: &arena), Builder.appendLabel(service.namespace, to: &arena) else {
                    arena.removeSubrange(Int(keyOffset)...)
                    continue
                }
                let keyLength = UInt8(arena.count - Int(keyOffset))
                let kind: ServiceKind = service.type == .externalName ? .externalName : service.isHeadless ? .headless : .clusterIP
                let portStart = Int32(ports.count)
                for port in service.ports { addPort(name: port.name, proto: port.protocol, port: port.port) }
                let servicePorts = portStart..<Int32(ports.count)
                var externalOffset: UInt32 = 0
                var externalLength: UInt8 = 0
                if kind == .externalName, let target = service.externalName {
                    externalOffset = UInt32(arena.count)
                    arena.append(contentsOf: target.lowercased().wire)
                    externalLength = UInt8(target.wireLength)
                }
                let endpointStart = Int32(endpoints.count)
                var readyV4: Int32 = 0
                var readyV6: Int32 = 0
                var anyReady = false
                if !config.noEndpoints && kind != .externalName {
                    let id = ServiceID(rawValue: Int32(position))
                    var seen = Set<IPAddress>()
                    var names: [String: [Int32]] = [:]
                    for endpoint in snapshot.endpoints(of: id) where endpoint.isReady {
                        anyReady = true
                        let name = endpointName(endpoint, service: service)
                        let nameOffset = UInt32(arena.count)
                        guard Builder.appendLabel(name, to: &arena) else { continue }
                        let nameLength = UInt8(arena.count - Int(nameOffset) - 1)
                        let first = seen.insert(endpoint.address).inserted
                        if first {
                            if case .v4 = endpoint.address { readyV4 += 1 } else { readyV6 += 1 }
                        }
                        let epPortStart = Int32(ports.count)
                        for port in endpoint.ports { addPort(name: port.name, proto: port.protocol, port: port.port ?? 0, has: port.port != nil) }
                        endpoints.append(EndpointEntry(nameOffset: nameOffset + 1, nameLength: nameLength, address: endpoint.address,
                                                       ports: epPortStart..<Int32(ports.count), firstWithAddress: first))
                        names[name.lowercased(), default: []].append(Int32(endpoints.count - 1))
                    }
                    // Endpoint names: `[len]ep[len]svc[len]ns` → the endpoints with that name.
                    for (name, members) in names {
                        var key: [UInt8] = []
                        Builder.appendLabel(name, to: &key)
                        key.append(contentsOf: arena[Int(keyOffset)..<(Int(keyOffset) + Int(keyLength))])
                        let start = Int32(endpointsByName.count)
                        endpointsByName.append(contentsOf: members)
                        endpointNames.insert(key, start..<Int32(endpointsByName.count))
                    }
                }
                let entry = ServiceEntry(
                    kind: kind, namespace: ns, keyOffset: keyOffset, keyLength: keyLength,
                    clusterIPv4: kind == .clusterIP ? service.clusterIPs.ipv4 : nil,
                    clusterIPv6: kind == .clusterIP ? service.clusterIPs.ipv6 : nil,
                    endpoints: endpointStart..<Int32(endpoints.count), readyV4: readyV4, readyV6: readyV6,
                    ports: servicePorts, externalOffset: externalOffset, externalLength: externalLength,
                    hasReadyEndpoints: anyReady)
                let index = Int32(serviceEntries.count)
                serviceEntries.append(entry)
                arena.withUnsafeBytes { raw in
                    _ = services.insert(UnsafeRawBufferPointer(rebasing: raw[Int(keyOffset)..<(Int(keyOffset) + Int(keyLength))]), index)
                }
            }
        }

        /// The endpoint's DNS name (CoreDNS): its hostname; else, for a pod whose `hostname` and
        /// `subdomain` name this headless service (what the endpoints controller does), the pod's
        /// hostname; else the pod name with `endpoint_pod_names`; else the dashed IP.
        func endpointName(_ endpoint: ServiceEndpoint, service: Service) -> String {
            if endpoint.endpoint.hostname == nil, service.isHeadless, let ref = endpoint.endpoint.targetRef,
               ref.kind == "Pod", let pod = snapshot.pod(namespace: service.namespace, name: ref.name),
               let hostname = pod.hostname, pod.subdomain == service.name {
                return hostname
            }
            return endpoint.name(usingPodNames: config.endpointPodNames)
        }

        mutating func addPort(name: String?, proto: TransportProtocol, port: UInt16, has: Bool = true) {
            let offset = UInt32(arena.count)
            var length: UInt8 = 0
            if let name, !name.isEmpty, name.utf8.count <= 62 {
                arena.append(contentsOf: name.utf8.lazy.map(WireName.lowercase))
                length = UInt8(name.utf8.count)
            }
            ports.append(PortEntry(nameOffset: offset, nameLength: length, proto: proto, port: port, hasPort: has))
        }

        /// PTR targets: a cluster IP names its service (first service wins); any other ready
        /// endpoint address names `<endpoint>.<svc>.<ns>.svc.<zone>`, once per service.
        mutating func addPTR() {
            for (index, entry) in serviceEntries.enumerated() {
                for address in [entry.clusterIPv4.map(IPAddress.v4), entry.clusterIPv6.map(IPAddress.v6)].compactMap({ $0 })
                where ptr[address] == nil {
                    ptrEntries.append(PTREntry(service: Int32(index), endpoint: -1, next: -1))
                    ptr[address] = Int32(ptrEntries.count - 1)
                }
            }
            for (index, entry) in serviceEntries.enumerated() {
                for e in entry.endpoints {
                    let endpoint = endpoints[Int(e)]
                    if let head = ptr[endpoint.address] {
                        if ptrEntries[Int(head)].endpoint == -1 { continue }   // a cluster IP wins
                        // Skip a second target with the same service and name.
                        var cursor = head
                        var duplicate = false
                        while cursor >= 0 {
                            let existing = ptrEntries[Int(cursor)]
                            if existing.service == Int32(index) && sameName(endpoints[Int(existing.endpoint)], endpoint) {
                                duplicate = true
                                break
                            }
                            cursor = existing.next
                        }
                        if duplicate { continue }
                        ptrEntries.append(PTREntry(service: Int32(index), endpoint: e, next: head))
                    } else {
                        ptrEntries.append(PTREntry(service: Int32(index), endpoint: e, next: -1))
                    }
                    ptr[endpoint.address] = Int32(ptrEntries.count - 1)
                }
            }
        }

        func sameName(_ a: EndpointEntry, _ b: EndpointEntry) -> Bool {
            a.nameLength == b.nameLength
                && arena[Int(a.nameOffset)..<(Int(a.nameOffset) + Int(a.nameLength))]
                    .elementsEqual(arena[Int(b.nameOffset)..<(Int(b.nameOffset) + Int(b.nameLength))])
        }

        mutating func addPods() {
            for pod in snapshot.pods where pod.isServable && !pod.isTerminating {
                guard let ns = namespaceIndex[pod.namespace] else { continue }
                for address in pod.ips { verifiedPods.insert(PodKey(address: address, namespace: ns)) }
            }
        }

        /// The zone's name server (CoreDNS): the service whose endpoint is this server's own
        /// address (`kube-dns.kube-system` in a cluster), answered with its cluster IPs; else
        /// `ns.dns.<zone>` with this server's addresses.
        func nameServer(localAddresses: [IPAddress]) -> ([UInt8], [IPAddress]) {
            for (index, entry) in serviceEntries.enumerated() where entry.kind == .clusterIP {
                let own = entry.endpoints.contains { localAddresses.contains(endpoints[Int($0)].address) }
                guard own else { continue }
                var labels = Array(arena[Int(entry.keyOffset)..<(Int(entry.keyOffset) + Int(entry.keyLength))])
                labels += [3] + Array("svc".utf8)
                let addresses = [entry.clusterIPv4.map(IPAddress.v4), entry.clusterIPv6.map(IPAddress.v6)].compactMap { $0 }
                _ = index
                return (labels, addresses)
            }
            return ([2] + Array("ns".utf8) + [3] + Array("dns".utf8), localAddresses)
        }
    }
}
