import DNSWire
import Foundation

/// Builds a `ClusterSnapshot` from object sources: resolves duplicates, merges endpoint slices
/// per service (falling back to legacy Endpoints), and builds every index.
///
/// Runs on the control-plane thread that loaded the objects. Cost is linear in the number of
/// objects and endpoint addresses, plus the sorts (which are linear on already-sorted input,
/// the common case for the generator and for files listed in order).
enum SnapshotBuilder {
    static func build(
        sources: [ObjectSource], issues inputIssues: [ManifestIssue] = [], unknownKinds: [String: Int] = [:],
        previous: ClusterSnapshot?, now: Date, generation: UInt64? = nil, serial fixedSerial: UInt32? = nil
    ) -> ClusterSnapshot {
        let objects = sources.map(\.objects)
        var issues = inputIssues
        var counts = ObjectCounts()
        var losers: [(ObjectKind, ObjectRef)] = []

        // Effective objects of each kind, sorted by (namespace, name), duplicates resolved.
        let serviceRefs = effectiveRefs(
            .service, sources, count: { $0.services.count }, key: { o, i in (o.services[i].namespace, o.services[i].name) },
            issues: &issues, losers: &losers)
        let sliceRefs = effectiveRefs(
            .endpointSlice, sources, count: { $0.endpointSlices.count },
            key: { o, i in (o.endpointSlices[i].namespace, o.endpointSlices[i].name) }, issues: &issues, losers: &losers)
        let endpointsRefs = effectiveRefs(
            .endpoints, sources, count: { $0.endpoints.count },
            key: { o, i in (o.endpoints[i].namespace, o.endpoints[i].name) }, issues: &issues, losers: &losers)
        let podRefs = effectiveRefs(
            .pod, sources, count: { $0.pods.count }, key: { o, i in (o.pods[i].namespace, o.pods[i].name) },
            issues: &issues, losers: &losers)
        let namespaceRefs = effectiveRefs(
            .namespace, sources, count: { $0.namespaces.count }, key: { o, i in ("", o.namespaces[i].name) },
            issues: &issues, losers: &losers)

        func service(_ position: Int) -> Service {
            let ref = serviceRefs[position]
            return objects[Int(ref.source)].services[Int(ref.index)]
        }

        // Services: by name, by cluster IP.
        let serviceNames = NameIndex(count: serviceRefs.count) { i in
            let ref = serviceRefs[i]
            let s = objects[Int(ref.source)].services[Int(ref.index)]
            return (s.namespace, s.name)
        }
        func serviceID(namespace: String, name: String) -> Int32? {
            let n = ClusterSnapshot.lowercased(name)
            return serviceNames.position(namespace: namespace, name: n) { candidate in
                let s = service(Int(candidate))
                return s.name == n && s.namespace == namespace
            }
        }
        var clusterIPIndex = AddressIndex<Int32>()
        for position in serviceRefs.indices {
            let s = service(position)
            for ip in s.clusterIPs {
                if let owner = clusterIPIndex.first(ip) {
                    let other = service(Int(owner))
                    issues.append(ManifestIssue(
                        severity: .warning, code: .duplicateObject, file: sources[Int(serviceRefs[position].source)].name,
                        kind: ObjectKind.service.rawValue, namespace: s.namespace, name: s.name,
                        message: "cluster IP \(ip) is also assigned to \(other.identity); PTR answers name that one"))
                } else {
                    clusterIPIndex.insert(Int32(position), for: ip)
                }
            }
        }

        // Endpoint groups: every slice of a service; legacy Endpoints only for a service with none.
        var groupCount = [UInt32](repeating: 0, count: serviceRefs.count + 1)
        var sliceOwner = [Int32](repeating: -1, count: sliceRefs.count)
        for (k, ref) in sliceRefs.enumerated() {
            let slice = objects[Int(ref.source)].endpointSlices[Int(ref.index)]
            if let id = serviceID(namespace: slice.namespace, name: slice.serviceName) {
                sliceOwner[k] = id
                groupCount[Int(id)] += 1
            }
        }
        // Endpoints objects are named like their service and deduplicated by name, so at most
        // one belongs to each service; it counts only when no slice claimed that service.
        var legacyOwner = [Int32](repeating: -1, count: endpointsRefs.count)
        for (k, ref) in endpointsRefs.enumerated() {
            let e = objects[Int(ref.source)].endpoints[Int(ref.index)]
            if let id = serviceID(namespace: e.namespace, name: e.name), groupCount[Int(id)] == 0 {
                legacyOwner[k] = id
            }
        }
        for (k, owner) in legacyOwner.enumerated() where owner >= 0 {
            let ref = endpointsRefs[k]
            groupCount[Int(owner)] += UInt32(objects[Int(ref.source)].endpoints[Int(ref.index)].subsets.count)
        }
        var groupStart = [UInt32](repeating: 0, count: serviceRefs.count + 1)
        var running: UInt32 = 0
        for i in 0..<serviceRefs.count {
            groupStart[i] = running
            running += groupCount[i]
        }
        groupStart[serviceRefs.count] = running

        var candidates: [EndpointGroupEntry] = []
        var destination: [Int] = []
        candidates.reserveCapacity(Int(running))
        destination.reserveCapacity(Int(running))
        var cursor = groupStart
        for (k, ref) in sliceRefs.enumerated() where sliceOwner[k] >= 0 {
            let owner = Int(sliceOwner[k])
            let slice = objects[Int(ref.source)].endpointSlices[Int(ref.index)]
            candidates.append(EndpointGroupEntry(group: slice.group, service: Int32(owner), origin: .endpointSlice(name: slice.name)))
            destination.append(Int(cursor[owner]))
            cursor[owner] += 1
        }
        for (k, ref) in endpointsRefs.enumerated() where legacyOwner[k] >= 0 {
            let owner = Int(legacyOwner[k])
            for (n, subset) in objects[Int(ref.source)].endpoints[Int(ref.index)].subsets.enumerated() {
                candidates.append(EndpointGroupEntry(group: subset, service: Int32(owner), origin: .endpoints(subset: n)))
                destination.append(Int(cursor[owner]))
                cursor[owner] += 1
            }
        }
        var order = [Int32](repeating: 0, count: candidates.count)
        for (k, d) in destination.enumerated() { order[d] = Int32(k) }
        let groups = order.map { candidates[Int($0)] }

        for entry in groups { counts.endpointAddresses += entry.group.addresses.count }

        // Pods.
        func pod(_ position: Int) -> Pod {
            let ref = podRefs[position]
            return objects[Int(ref.source)].pods[Int(ref.index)]
        }
        let podNames = NameIndex(count: podRefs.count) { i in
            let p = pod(i)
            return (p.namespace, p.name)
        }

        // Namespaces: declared ones, plus those implied by the objects in them.
        struct NamespaceDraft {
            var labels = Labels.empty
            var declared = false
            var services: Range<Int32> = 0..<0
            var pods: Range<Int32> = 0..<0
        }
        var drafts: [String: NamespaceDraft] = [:]
        for ref in namespaceRefs {
            let ns = objects[Int(ref.source)].namespaces[Int(ref.index)]
            drafts[ns.name] = NamespaceDraft(labels: ns.labels, declared: true)
        }
        for (range, name) in runs(count: serviceRefs.count, key: { service($0).namespace }) {
            drafts[name, default: NamespaceDraft()].services = range
        }
        for (range, name) in runs(count: podRefs.count, key: { pod($0).namespace }) {
            drafts[name, default: NamespaceDraft()].pods = range
        }
        for ref in sliceRefs where drafts[objects[Int(ref.source)].endpointSlices[Int(ref.index)].namespace] == nil {
            drafts[objects[Int(ref.source)].endpointSlices[Int(ref.index)].namespace] = NamespaceDraft()
        }
        for ref in endpointsRefs where drafts[objects[Int(ref.source)].endpoints[Int(ref.index)].namespace] == nil {
            drafts[objects[Int(ref.source)].endpoints[Int(ref.index)].namespace] = NamespaceDraft()
        }
        let namespaceList = drafts.sorted { $0.key < $1.key }.map { name, d in
            NamespaceInfo(name: name, labels: d.labels, isDeclared: d.declared, services: d.services, pods: d.pods)
        }
        var namespaceIndex: [String: Int32] = [:]
        namespaceIndex.reserveCapacity(namespaceList.count)
        for (i, info) in namespaceList.enumerated() { namespaceIndex[info.name] = Int32(i) }

        // DNS-relevant digest of everything effective, for the serial rule: every source's
        // digest (cached by the store), minus the duplicates that lost.
        var digest = DNSContentDigest()
        for source in sources { digest.add(source.digest ?? source.objects.dnsDigest()) }
        for (kind, ref) in losers { digest.remove(objects[Int(ref.source)].dnsHash(of: kind, at: Int(ref.index))) }

        counts.namespaces = namespaceList.count
        counts.impliedNamespaces = namespaceList.count - namespaceRefs.count
        counts.services = serviceRefs.count
        counts.endpointSlices = sliceRefs.count
        counts.endpoints = endpointsRefs.count
        counts.pods = podRefs.count

        let serial = fixedSerial ?? nextSerial(
            previousSerial: previous?.serial, sameContent: previous?.contentDigest == digest.value, now: now)

        return ClusterSnapshot(
            generation: generation ?? ((previous?.generation ?? 0) + 1), serial: serial, loadedAt: now,
            counts: counts, unknownKinds: unknownKinds, issues: issues, contentDigest: digest.value,
            sources: objects, serviceRefs: serviceRefs, serviceNames: serviceNames, groupStart: groupStart,
            groups: groups, clusterIPIndex: clusterIPIndex, podRefs: podRefs,
            podNames: podNames, namespaceList: namespaceList, namespaceIndex: namespaceIndex)
    }

    /// The SOA serial after a rebuild: unchanged when the DNS content is, else the Unix time,
    /// or one more than before when that would not move it forward.
    static func nextSerial(previousSerial: UInt32?, sameContent: Bool, now: Date) -> UInt32 {
        let nowSeconds = UInt32(clamping: Int64(now.timeIntervalSince1970.rounded(.down)))
        if let previousSerial, sameContent { return previousSerial }
        if let previousSerial, previousSerial >= nowSeconds, previousSerial < UInt32.max {
            // Two changes within one second (or a clock step back) still move the serial, so a
            // secondary or a cache comparing serials sees every change.
            return previousSerial + 1
        }
        return nowSeconds
    }

    /// The objects of one kind across all sources, sorted by (namespace, name), keeping only the
    /// last definition of each (later source, then later position) and warning about the rest.
    private static func effectiveRefs(
        _ kind: ObjectKind, _ sources: [ObjectSource], count: (ClusterObjects) -> Int,
        key: (ClusterObjects, Int) -> (String, String), issues: inout [ManifestIssue], losers: inout [(ObjectKind, ObjectRef)]
    ) -> [ObjectRef] {
        // Keys are read once, up front: reading them inside the comparator would copy a
        // source's object arrays (five retains and releases) on every comparison. Names are
        // short enough to be stored inline in `String`, so the keys themselves cost no retain.
        var keyed: [(namespace: String, name: String, ref: ObjectRef)] = []
        keyed.reserveCapacity(sources.reduce(0) { $0 + count($1.objects) })
        for (s, source) in sources.enumerated() {
            let objects = source.objects
            for i in 0..<count(objects) {
                let (namespace, name) = key(objects, i)
                keyed.append((namespace, name, ObjectRef(source: s, index: i)))
            }
        }
        func ordered(_ a: (namespace: String, name: String, ref: ObjectRef), _ b: (namespace: String, name: String, ref: ObjectRef)) -> Bool {
            if a.namespace != b.namespace { return a.namespace < b.namespace }
            if a.name != b.name { return a.name < b.name }
            return a.ref.source != b.ref.source ? a.ref.source < b.ref.source : a.ref.index < b.ref.index
        }
        // Sources are mostly in order already (files list objects sorted, shards keep them so).
        if zip(keyed, keyed.dropFirst()).contains(where: { !ordered($0, $1) }) { keyed.sort(by: ordered) }
        let refs = keyed.map(\.ref)
        func keyOf(_ k: Int) -> (String, String) { (keyed[k].namespace, keyed[k].name) }
        var result: [ObjectRef] = []
        result.reserveCapacity(refs.count)
        var lastKey = -1
        for (k, ref) in refs.enumerated() {
            if lastKey >= 0, keyOf(lastKey) == keyOf(k), let last = result.last {
                let (namespace, name) = keyOf(k)
                let loser = sources[Int(last.source)].name
                let winner = sources[Int(ref.source)].name
                issues.append(ManifestIssue(
                    severity: .warning, code: .duplicateObject, file: winner, kind: kind.rawValue,
                    namespace: namespace.isEmpty ? nil : namespace, name: name,
                    message: loser == winner
                        ? "defined more than once in this file; the last definition wins"
                        : "also defined in \(loser); this later file wins"))
                losers.append((kind, last))
                result[result.count - 1] = ref
            } else {
                result.append(ref)
            }
            lastKey = k
        }
        return result
    }

    /// Maximal runs of equal keys over positions 0..<count (the input is sorted by that key).
    private static func runs(count: Int, key: (Int) -> String) -> [(Range<Int32>, String)] {
        var result: [(Range<Int32>, String)] = []
        var start = 0
        while start < count {
            let k = key(start)
            var end = start + 1
            while end < count && key(end) == k { end += 1 }
            result.append((Int32(start)..<Int32(end), k))
            start = end
        }
        return result
    }
}
