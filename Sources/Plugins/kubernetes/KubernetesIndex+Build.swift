import ClusterRegistry
import DNSWire
#if canImport(Glibc)
import Glibc
#endif

extension KubernetesIndex {
    /// Builds the index for `snapshot` under `config`. Runs on the registry's thread, never on
    /// a worker; allocates freely but avoids a `String` per endpoint (labels are written straight
    /// into the arena), because a large cluster has a million endpoint addresses.
    /// - Parameters:
    ///   - loaded: false while the registry has not finished loading (NXDOMAIN becomes SERVFAIL).
    ///   - localAddresses: this server's addresses, for the zone's NS record and glue.
    ///   - directory: the whole cluster's namespaces (a shard's snapshot holds only its own);
    ///     nil: the snapshot's, for an index over a whole snapshot.
    /// - Complexity: O(services + endpoint addresses + pods).
    public static func build(snapshot: ClusterSnapshot, config: KubernetesConfig, loaded: Bool,
                             localAddresses: [IPAddress]) -> KubernetesIndex {
        build(snapshot: snapshot, config: config, loaded: loaded, localAddresses: localAddresses,
              directory: NamespaceDirectory(snapshot: snapshot, config: config))
    }

    static func build(snapshot: ClusterSnapshot, config: KubernetesConfig, loaded: Bool,
                      localAddresses: [IPAddress], directory: NamespaceDirectory) -> KubernetesIndex {
        var builder = Builder(config: config, snapshot: snapshot, directory: directory)
        builder.addNamespacesAndServices()
        builder.addPTR()
        if config.pods == .verified { builder.addPods() }
        let nameServers = builder.nameServers(localAddresses: localAddresses)
        builder.trimToSize()
        return KubernetesIndex(
            config: config, generation: snapshot.generation, serial: snapshot.serial, loaded: loaded,
            arena: builder.arena, namespaces: directory.table, services: builder.services,
            serviceEntries: LineAlignedTable(builder.serviceEntries), cards: ServiceCards(builder.serviceCards),
            serviceExtras: builder.serviceExtras, endpoints: LineAlignedTable(builder.endpoints),
            endpointIPv6: builder.endpointIPv6, endpointNames: builder.endpointNames,
            ports: LineAlignedTable(builder.ports), ptr: builder.ptr, ptrEntries: builder.ptrEntries, verifiedPods: builder.verifiedPods,
            clientNamespaces: builder.clientNamespaces, searchPaths: directory.searchPaths, nameServers: nameServers)
    }

    struct Builder {
        let config: KubernetesConfig
        let snapshot: ClusterSnapshot
        /// The whole cluster's exposed namespaces and their numbers.
        let directory: NamespaceDirectory
        var arena: [UInt8] = []
        var services: ProbeTable
        var serviceEntries: [ServiceEntry] = []
        var serviceCards: [ServiceCard] = []
        var serviceExtras: [ServiceExtra] = []
        var endpoints: [EndpointEntry] = []
        var endpointIPv6: [IPv6Address] = []
        var endpointNames: ProbeTable
        var ports: [PortEntry] = []
        var ptr: ProbeTable
        var ptrEntries: [PTREntry] = []
        var verifiedPods: Set<PodKey> = []
        var clientNamespaces: [IPAddress: Int32] = [:]
        /// `namespace/subdomain` of pods that set both `hostname` and `subdomain`: the services
        /// whose endpoints may take the pod's hostname as their label.
        let podSubdomains: Set<String>
        /// Reused per service to find repeated addresses without allocating each time.
        var seenAddresses = Set<IPAddress>()

        /// Gives back what appending left unused before the tables are frozen for the index's
        /// life: ports and PTR entries are appended without a count known in advance, and an
        /// array doubles its capacity as it grows (at 100 000 services the slack of these two
        /// was about 6 MB, 10 bytes per object).
        mutating func trimToSize() {
            Self.trim(&arena)
            Self.trim(&serviceEntries)
            Self.trim(&serviceCards)
            Self.trim(&serviceExtras)
            Self.trim(&endpoints)
            Self.trim(&endpointIPv6)
            Self.trim(&ports)
            Self.trim(&ptrEntries)
        }

        private static func trim<Element>(_ array: inout [Element]) {
            guard array.capacity - array.count > max(1, array.count / 32) else { return }
            array = [Element](unsafeUninitializedCapacity: array.count) { buffer, count in
                count = buffer.initialize(fromContentsOf: array)
            }
        }

        init(config: KubernetesConfig, snapshot: ClusterSnapshot, directory: NamespaceDirectory) {
            self.config = config
            self.snapshot = snapshot
            self.directory = directory
            let counts = snapshot.counts
            // Table sizes come from the groups themselves (an upper bound: not-ready and filtered
            // endpoints included), so no insert can exceed them. Only services with more than
            // `scannedEndpoints` endpoints put labels in the endpoint-name table.
            var all = 0
            var large = 0
            if !config.noEndpoints {
                for position in 0..<counts.services {
                    var count = 0
                    snapshot.forEachEndpointGroup(of: ServiceID(rawValue: Int32(position))) { count += $0.addresses.count }
                    all += count
                    if count > Int(KubernetesIndex.scannedEndpoints) { large += count }
                }
            }
            let endpointCapacity = all
            services = ProbeTable(capacity: counts.services)
            ptr = ProbeTable(capacity: endpointCapacity + 2 * counts.services)
            arena.reserveCapacity(counts.services * 28 + endpointCapacity * 12)
            endpoints.reserveCapacity(endpointCapacity)
            serviceEntries.reserveCapacity(counts.services)
            serviceCards.reserveCapacity(counts.services)
            endpointNames = ProbeTable(capacity: large)
            var subdomains = Set<String>()
            for pod in snapshot.pods {
                if pod.hostname != nil, let subdomain = pod.subdomain { subdomains.insert(pod.namespace + "/" + subdomain) }
            }
            podSubdomains = subdomains
        }

        /// Appends `[len]label`, lowercased; false (nothing appended) when it is not 1...63 octets.
        @discardableResult
        static func appendLabel(_ label: String, to bytes: inout [UInt8]) -> Bool {
            let utf8 = label.utf8
            guard !utf8.isEmpty, utf8.count <= 63 else { return false }
            bytes.append(UInt8(utf8.count))
            for b in utf8 { bytes.append(WireName.lowercase(b)) }
            return true
        }

        mutating func addNamespacesAndServices() {
            // The snapshot's own namespaces (a shard's), exposed or not by the whole cluster's list.
            for info in snapshot.namespaces where directory.numbers[info.name] != nil {
                for position in info.services { addService(ServiceID(rawValue: position)) }
            }
        }

        mutating func addService(_ id: ServiceID) {
            let service = snapshot[id]
            if let selector = config.labels, !selector.matches(service.labels) { return }
            let kind: ServiceKind = service.type == .externalName ? .externalName : service.isHeadless ? .headless : .clusterIP
            // An ExternalName without a usable target (an IP, as CoreDNS) has no record at all.
            if kind == .externalName && service.externalName == nil { return }
            let keyOffset = UInt32(arena.count)
            guard Builder.appendLabel(service.name, to: &arena), Builder.appendLabel(service.namespace, to: &arena) else {
                arena.removeSubrange(Int(keyOffset)...)
                return
            }
            let keyLength = UInt8(arena.count - Int(keyOffset))
            let index = Int32(serviceEntries.count)
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
            var counts = (v4: Int32(0), v6: Int32(0))
            if !config.noEndpoints && kind != .externalName {
                addEndpoints(of: id, service: service, number: index, counts: &counts)
            }
            let clusterIPv4 = kind == .clusterIP ? service.clusterIPs.ipv4 : nil
            let clusterIPv6 = kind == .clusterIP ? service.clusterIPs.ipv6 : nil
            var extra: Int32 = -1
            if clusterIPv6 != nil || externalLength > 0 {
                extra = Int32(serviceExtras.count)
                serviceExtras.append(ServiceExtra(clusterIPv6: clusterIPv6, externalOffset: externalOffset, externalLength: externalLength))
            }
            serviceEntries.append(ServiceEntry(endpoints: endpointStart..<Int32(endpoints.count), ports: servicePorts))
            arena.withUnsafeBytes { raw in
                serviceCards.append(ServiceCard(
                    keyOffset: keyOffset, keyLength: keyLength, kind: kind, hasReadyEndpoints: counts.v4 + counts.v6 > 0,
                    clusterIPv4: clusterIPv4, hasClusterIPv6: clusterIPv6 != nil, extra: extra, arena: raw))
            }
            arena.withUnsafeBytes { raw in
                services.insert(hash: WireName.hashIgnoringCase(UnsafeRawBufferPointer(rebasing: raw[Int(keyOffset)..<(Int(keyOffset) + Int(keyLength))])),
                                value: index)
            }
        }

        /// Adds the ready endpoints of service `id` (index entry `number`), reading each
        /// EndpointSlice's addresses in place: a label written straight into the arena, the slice's
        /// ports entered once per slice, repeated addresses and shared labels found by a scan of
        /// the service's earlier endpoints while it is small and through hash tables once large.
        mutating func addEndpoints(of id: ServiceID, service: Service, number: Int32, counts: inout (v4: Int32, v6: Int32)) {
            let start = Int32(endpoints.count)
            let publishes = snapshot.publishesNotReadyAddresses(of: id)
            let podRule = !podSubdomains.isEmpty && podSubdomains.contains(service.namespace + "/" + service.name)
            seenAddresses.removeAll(keepingCapacity: true)
            snapshot.forEachEndpointGroup(of: id) { group in
                var portRange: Range<Int32>? = nil
                group.addresses.withUnsafeBufferPointer { addresses in
                    for i in addresses.indices where publishes || addresses[i].conditions.isReady {
                        let nameOffset = UInt32(arena.count)
                        guard appendEndpointLabel(addresses, i, service: service, podRule: podRule) else { continue }
                        let nameLength = UInt8(arena.count - Int(nameOffset))
                        if portRange == nil {
                            let first = Int32(ports.count)
                            for port in group.ports {
                                addPort(name: port.name, proto: port.protocol, port: port.port ?? 0, hasNumber: port.port != nil)
                            }
                            portRange = first..<Int32(ports.count)
                        }
                        let address = addresses[i].address
                        let first = isFirst(address, serviceStart: start)
                        if first {
                            if case .v4 = address { counts.v4 += 1 } else { counts.v6 += 1 }
                        }
                        let bits: UInt32
                        switch address {
                        case .v4(let a):
                            bits = a.rawValue
                        case .v6(let a):
                            bits = UInt32(endpointIPv6.count)
                            endpointIPv6.append(a)
                        }
                        let ports = portRange ?? 0..<0
                        endpoints.append(EndpointEntry(
                            nameOffset: nameOffset, nameLength: nameLength, firstWithAddress: first, sharesName: false,
                            isIPv6: address.recordType == .aaaa, service: number, nextSameName: -1, address: bits,
                            portStart: ports.lowerBound, portCount: Int32(ports.count)))
                        linkName(of: Int32(endpoints.count - 1), service: number, serviceStart: start)
                    }
                }
            }
        }

        /// True when no earlier endpoint of the service has `address`.
        mutating func isFirst(_ address: IPAddress, serviceStart start: Int32) -> Bool {
            let count = endpoints.count - Int(start)
            if count < 32 {
                for e in Int(start)..<endpoints.count where endpoints[e].address(endpointIPv6) == address { return false }
                return true
            }
            if count == 32 { for e in Int(start)..<endpoints.count { seenAddresses.insert(endpoints[e].address(endpointIPv6)) } }
            return seenAddresses.insert(address).inserted
        }

        /// Chains endpoint `number` after the earlier endpoints of its service with the same
        /// label. While the service has at most `scannedEndpoints` endpoints they are scanned (as
        /// queries will scan them); from the next one on, every label is in `endpointNames`.
        mutating func linkName(of number: Int32, service: Int32, serviceStart start: Int32) {
            let earlier = number - start
            var head: Int32? = nil
            if earlier < KubernetesIndex.scannedEndpoints {
                var e = start
                while e < number {
                    if sameName(endpoints[Int(e)], endpoints[Int(number)]) {
                        head = e
                        break
                    }
                    e += 1
                }
            } else {
                if earlier == KubernetesIndex.scannedEndpoints {
                    for e in start..<number where !isChained(e, serviceStart: start) {
                        endpointNames.insert(hash: labelHash(e, service: service), value: e)
                    }
                }
                let hash = labelHash(number, service: service)
                head = endpointNames.find(hash: hash) { e in
                    endpoints[Int(e)].service == service && sameName(endpoints[Int(e)], endpoints[Int(number)])
                }
                if head == nil { endpointNames.insert(hash: hash, value: number) }
            }
            guard let head else { return }
            endpoints[Int(number)].sharesName = true
            var cursor = head
            while true {
                endpoints[Int(cursor)].sharesName = true
                let next = endpoints[Int(cursor)].nextSameName
                if next < 0 { break }
                cursor = next
            }
            endpoints[Int(cursor)].nextSameName = number
        }

        /// True when `e` follows an earlier endpoint of its service with the same label.
        func isChained(_ e: Int32, serviceStart start: Int32) -> Bool {
            guard endpoints[Int(e)].sharesName else { return false }
            var other = start
            while other < e {
                if endpoints[Int(other)].nextSameName == e { return true }
                other += 1
            }
            return false
        }

        func clusterIPv4(_ s: Int32) -> IPv4Address? {
            let card = serviceCards[Int(s)]
            return card.flags.contains(.clusterIPv4) ? IPv4Address(rawValue: card.clusterIPv4) : nil
        }

        func clusterIPv6(_ s: Int32) -> IPv6Address? {
            let extra = serviceCards[Int(s)].extra
            return extra >= 0 ? serviceExtras[Int(extra)].clusterIPv6 : nil
        }

        func labelHash(_ e: Int32, service: Int32) -> UInt64 {
            let entry = endpoints[Int(e)]
            return arena.withUnsafeBytes { arena in
                KubernetesIndex.endpointHash(
                    service: service, label: UnsafeRawBufferPointer(rebasing: arena[Int(entry.nameOffset)..<(Int(entry.nameOffset) + Int(entry.nameLength))]))
            }
        }

        /// Writes the endpoint's label (no length octet) into the arena, by CoreDNS's rule: the
        /// `hostname`; else the hostname of the backing pod when that pod's `subdomain` names
        /// this service (what the EndpointSlice controller would have written, for hand-written
        /// slices that omit it); else, with `endpoint_pod_names`, the `targetRef` name when
        /// shorter than 64 octets; else the dashed address. False when the result is no label.
        mutating func appendEndpointLabel(_ addresses: UnsafeBufferPointer<EndpointAddress>, _ i: Int, service: Service,
                                          podRule: Bool) -> Bool {
            if let hostname = addresses[i].hostname { return appendRaw(hostname) }
            if podRule, let ref = addresses[i].targetRef, ref.kind == "Pod",
               let pod = snapshot.pod(namespace: service.namespace, name: ref.name),
               let hostname = pod.hostname, pod.subdomain == service.name {
                return appendRaw(hostname)
            }
            if config.endpointPodNames, let ref = addresses[i].targetRef, !ref.name.isEmpty, ref.name.utf8.count < 64 {
                return appendRaw(ref.name)
            }
            switch addresses[i].address {
            case .v4(let a):
                for shift in stride(from: 24, through: 0, by: -8) {
                    let octet = UInt8(truncatingIfNeeded: a.rawValue >> UInt32(shift))
                    if octet >= 100 { arena.append(UInt8(ascii: "0") + octet / 100) }
                    if octet >= 10 { arena.append(UInt8(ascii: "0") + octet / 10 % 10) }
                    arena.append(UInt8(ascii: "0") + octet % 10)
                    if shift > 0 { arena.append(UInt8(ascii: "-")) }
                }
                return true
            case .v6:
                return appendRaw(ServiceEndpoint.dashedName(addresses[i].address))
            }
        }

        mutating func appendRaw(_ label: String) -> Bool {
            let utf8 = label.utf8
            guard !utf8.isEmpty, utf8.count <= 63 else { return false }
            let start = arena.count
            arena.append(contentsOf: utf8)
            // Kubernetes names are validated lowercase; fold anyway, in place.
            arena.withUnsafeMutableBytes { bytes in
                for i in start..<bytes.count { bytes[i] = WireName.lowercase(bytes[i]) }
            }
            return true
        }

        mutating func addPort(name: String?, proto: TransportProtocol, port: UInt16, hasNumber: Bool = true) {
            var lowercase: [UInt8] = []
            if let name, !name.isEmpty, name.utf8.count <= 62 { lowercase = name.utf8.map(WireName.lowercase) }
            ports.append(PortEntry(name: lowercase, proto: proto, hasNumber: hasNumber, port: port, arena: &arena))
        }

        // MARK: PTR

        func ptrHead(_ address: IPAddress) -> Int32? {
            ptr.find(hash: address.probeHash) { head in
                let entry = ptrEntries[Int(head)]
                if entry.endpoint >= 0 { return endpoints[Int(entry.endpoint)].address(endpointIPv6) == address }
                switch address {
                case .v4(let a): return clusterIPv4(entry.service) == a
                case .v6(let a): return clusterIPv6(entry.service) == a
                }
            }
        }

        /// PTR targets: a cluster IP names its service (the first service claiming it); any
        /// other ready endpoint address names `<endpoint>.<svc>.<ns>.svc.<zone>`, once per
        /// (service, endpoint name), in service order.
        mutating func addPTR() {
            for index in serviceEntries.indices {
                for address in [clusterIPv4(Int32(index)).map(IPAddress.v4), clusterIPv6(Int32(index)).map(IPAddress.v6)] {
                    guard let address, ptrHead(address) == nil else { continue }
                    ptrEntries.append(PTREntry(service: Int32(index), endpoint: -1, next: -1))
                    ptr.insert(hash: address.probeHash, value: Int32(ptrEntries.count - 1))
                }
            }
            for (index, entry) in serviceEntries.enumerated() {
                for e in entry.endpoints {
                    let endpoint = endpoints[Int(e)]
                    let address = endpoint.address(endpointIPv6)
                    let new = PTREntry(service: Int32(index), endpoint: e, next: -1)
                    guard var cursor = ptrHead(address) else {
                        ptrEntries.append(new)
                        ptr.insert(hash: address.probeHash, value: Int32(ptrEntries.count - 1))
                        continue
                    }
                    if ptrEntries[Int(cursor)].endpoint < 0 { continue }   // a cluster IP wins
                    var duplicate = false
                    while true {
                        let existing = ptrEntries[Int(cursor)]
                        if existing.service == Int32(index) && sameName(endpoints[Int(existing.endpoint)], endpoint) {
                            duplicate = true
                            break
                        }
                        if existing.next < 0 { break }
                        cursor = existing.next
                    }
                    if duplicate { continue }
                    ptrEntries.append(new)
                    ptrEntries[Int(cursor)].next = Int32(ptrEntries.count - 1)
                }
            }
        }

        func sameName(_ a: EndpointEntry, _ b: EndpointEntry) -> Bool {
            guard a.nameLength == b.nameLength else { return false }
            return arena.withUnsafeBytes { raw in
                guard let base = raw.baseAddress else { return a.nameLength == 0 }
                return memcmp(base + Int(a.nameOffset), base + Int(b.nameOffset), Int(a.nameLength)) == 0
            }
        }

        // MARK: Pods and name servers

        /// `pods verified`: every pod not Succeeded/Failed/Unknown and not being deleted (CoreDNS's
        /// pod informer), in an exposed namespace, matching `labels` when set; all its IPs.
        mutating func addPods() {
            for pod in snapshot.pods where pod.isServable && !pod.isTerminating {
                guard let ns = directory.numbers[pod.namespace] else { continue }
                if let selector = config.labels, !selector.matches(pod.labels) { continue }
                for address in pod.ips {
                    verifiedPods.insert(PodKey(address: address, namespace: ns))
                    if clientNamespaces[address] == nil { clientNamespaces[address] = ns }
                }
            }
        }

        /// A pod's search path in `namespace` (what kubelet writes into its resolv.conf):
        /// `<ns>.svc.<zone> svc.<zone> <zone>`; the zone alone if the names do not fit.
        static func searchPath(namespace: String, zone: DomainName) -> [DomainName] {
            guard let svc = try? zone.prepending(Array("svc".utf8)),
                  let ns = try? svc.prepending(Array(namespace.utf8)) else { return [zone] }
            return [ns, svc, zone]
        }

        /// The zone's name servers (CoreDNS `nsAddrs`): every service with an endpoint at one of
        /// this server's addresses (`kube-dns.kube-system` in a cluster) — a ClusterIP service by
        /// its name with its cluster IPs as glue, a headless one by each ready endpoint's name
        /// (`10-244-0-2.kube-dns.kube-system`) with that endpoint's address; else `ns.dns.<zone>`
        /// with this server's addresses. ExternalName services have no endpoints and never match.
        func nameServers(localAddresses: [IPAddress]) -> [NameServer] {
            var result: [NameServer] = []
            for local in localAddresses {
                guard var cursor = ptrHead(local) else { continue }
                while cursor >= 0 {
                    let entry = ptrEntries[Int(cursor)]
                    cursor = entry.next
                    guard entry.endpoint >= 0, !result.contains(where: { $0.service == entry.service }) else { continue }
                    switch serviceCards[Int(entry.service)].kind {
                    case .clusterIP:
                        let addresses = [clusterIPv4(entry.service).map(IPAddress.v4), clusterIPv6(entry.service).map(IPAddress.v6)]
                            .compactMap { $0 }
                        result.append(NameServer(service: entry.service, addresses: addresses))
                    case .headless:
                        for e in serviceEntries[Int(entry.service)].endpoints where endpoints[Int(e)].firstWithAddress {
                            result.append(NameServer(service: entry.service, endpoint: e,
                                                     addresses: [endpoints[Int(e)].address(endpointIPv6)]))
                        }
                    case .externalName:
                        continue
                    }
                }
            }
            return result.isEmpty ? [NameServer(service: -1, addresses: localAddresses)] : result
        }
    }
}
