import DNSWire

/// What a query log says about search-path cost: per client and overall, how many queries were
/// failed search-path expansions, and what `autopath` or a lower `ndots` would have saved.
///
/// Method. Each client's namespace is inferred from its queries: the first search domain
/// `<ns>.svc.<zone>` is in every searched name, so the label before `svc.<zone>` that the
/// client sends most is its namespace, and its search list is `<ns>.svc.<zone> svc.<zone>
/// <zone>` (node search domains cannot be seen in a log and are not counted). The client's
/// queries are then grouped, in log order and per type, into lookups: a lookup starts at a
/// name under a search domain (or a name outside them, asked as written) and continues with
/// the same base name under the later search domains and finally as written. A lookup ends at
/// the first answer that is not NXDOMAIN.
///
/// - A failed expansion is a query for a name under one of the client's search domains that
///   was answered NXDOMAIN.
/// - autopath answers a lookup at its first step (`<base>.<ns>.svc.<zone>`) when some later
///   step found the name: every query after the first is saved. Lookups that never found their
///   name save nothing (autopath then returns the first NXDOMAIN).
/// - With `ndots:N`, a base name with N or more dots is asked as written first: a lookup that
///   ended as written saves its earlier steps; one that ended under a search domain costs one
///   more query (the as-written try, which glibc follows with the search list — and musl does
///   not, so for musl clients such names would stop resolving).
package struct QueryLogAnalysis: Sendable {
    package struct ClientSummary: Sendable {
        package var client: IPAddress
        /// Inferred; nil when the client never used a `<ns>.svc.<zone>` name.
        package var namespace: String?
        package var queries: Int = 0
        package var failedExpansions: Int = 0
        package var autopathSavings: Int = 0
        /// Per ndots value 1...4: queries saved and queries added.
        package var ndots: [NdotsEffect] = []
        /// Lookups (grouped query sequences) seen.
        package var lookups: Int = 0
    }

    package struct NdotsEffect: Sendable, Equatable {
        package var ndots: Int
        package var saved: Int
        package var added: Int
        package var net: Int { saved - added }
    }

    package var zone: String
    package var clients: [ClientSummary]
    package var totalQueries: Int
    package var failedExpansions: Int
    package var autopathSavings: Int
    package var ndots: [NdotsEffect]

    /// ndots values compared (a pod's default is 5).
    package static let ndotsRange = 1...4

    package static func analyze(_ entries: [QueryLogEntry], zone: String = "cluster.local") -> QueryLogAnalysis {
        let zone = ResolvConf.trimmingDots(zone).lowercased()
        var byClient: [IPAddress: [QueryLogEntry]] = [:]
        var order: [IPAddress] = []
        for entry in entries {
            if byClient[entry.client] == nil { order.append(entry.client) }
            byClient[entry.client, default: []].append(entry)
        }
        var clients: [ClientSummary] = []
        for client in order {
            clients.append(summarize(client: client, entries: byClient[client] ?? [], zone: zone))
        }
        clients.sort { $0.queries != $1.queries ? $0.queries > $1.queries : $0.client < $1.client }
        var ndots: [NdotsEffect] = []
        for n in ndotsRange {
            let effects = clients.compactMap { $0.ndots.first { $0.ndots == n } }
            ndots.append(NdotsEffect(ndots: n, saved: effects.reduce(0) { $0 + $1.saved },
                                     added: effects.reduce(0) { $0 + $1.added }))
        }
        return QueryLogAnalysis(zone: zone, clients: clients, totalQueries: entries.count,
                                failedExpansions: clients.reduce(0) { $0 + $1.failedExpansions },
                                autopathSavings: clients.reduce(0) { $0 + $1.autopathSavings }, ndots: ndots)
    }

    /// The namespace a client's queries point to (see the type's comment).
    static func inferNamespace(_ names: [String], zone: String) -> String? {
        let suffix = ".svc." + zone
        var counts: [String: Int] = [:]
        var firstSeen: [String] = []
        for name in names where name.hasSuffix(suffix) {
            let labels = name.dropLast(suffix.count).split(separator: ".")
            guard labels.count >= 2, let ns = labels.last else { continue }
            if counts[String(ns)] == nil { firstSeen.append(String(ns)) }
            counts[String(ns), default: 0] += 1
        }
        return firstSeen.max { (counts[$0] ?? 0) < (counts[$1] ?? 0) }
    }

    /// A lookup in progress: the base name and the last search step seen (search.count = as
    /// written).
    struct Lookup {
        var base: String
        var steps: [(step: Int, rcode: ResponseCode)] = []
        var open = true
    }

    static func summarize(client: IPAddress, entries: [QueryLogEntry], zone: String) -> ClientSummary {
        let names = entries.map { Self.text($0.name) }
        var summary = ClientSummary(client: client, namespace: inferNamespace(names, zone: zone), queries: entries.count)
        let search = summary.namespace.map { ["\($0).svc.\(zone)", "svc.\(zone)", zone] } ?? ["svc.\(zone)", zone]
        var lookups: [RecordType: [Lookup]] = [:]
        for (entry, name) in zip(entries, names) {
            let underSearch = search.contains { name.hasSuffix("." + $0) }
            if underSearch && entry.rcode == .nameError { summary.failedExpansions += 1 }
            var list = lookups[entry.type, default: []]
            if let i = list.lastIndex(where: { $0.open && continues($0, name: name, search: search) }) {
                let step = stepOf(name, base: list[i].base, search: search) ?? search.count
                list[i].steps.append((step, entry.rcode))
                if entry.rcode != .nameError || step == search.count { list[i].open = false }
            } else {
                let (base, step) = split(name, search: search)
                var lookup = Lookup(base: base)
                lookup.steps.append((step, entry.rcode))
                if entry.rcode != .nameError || step == search.count { lookup.open = false }
                list.append(lookup)
            }
            lookups[entry.type] = list
        }
        var effects = ndotsRange.map { NdotsEffect(ndots: $0, saved: 0, added: 0) }
        for lookup in lookups.values.joined() {
            summary.lookups += 1
            guard let first = lookup.steps.first, let last = lookup.steps.last else { continue }
            let found = last.rcode != .nameError
            if first.step == 0 && found && lookup.steps.count > 1 {
                summary.autopathSavings += lookup.steps.count - 1
            }
            let dots = lookup.base.split(separator: ".").count - 1
            for i in effects.indices where dots >= effects[i].ndots && first.step < search.count && found {
                if last.step == search.count {
                    effects[i].saved += lookup.steps.count - 1
                } else {
                    effects[i].added += 1
                }
            }
        }
        summary.ndots = effects
        return summary
    }

    /// Lowercase, without the trailing dot.
    static func text(_ name: DomainName) -> String {
        var s = name.description.lowercased()
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }

    /// The base name and search step of a name seen on its own: under the first search domain
    /// it matches, or as written.
    static func split(_ name: String, search: [String]) -> (String, Int) {
        for (i, domain) in search.enumerated() where name.hasSuffix("." + domain) {
            return (String(name.dropLast(domain.count + 1)), i)
        }
        return (name, search.count)
    }

    static func stepOf(_ name: String, base: String, search: [String]) -> Int? {
        if name == base { return search.count }
        for (i, domain) in search.enumerated() where name == base + "." + domain { return i }
        return nil
    }

    /// True when `name` is a later step of `lookup` (or a retry of its last step).
    static func continues(_ lookup: Lookup, name: String, search: [String]) -> Bool {
        guard let step = stepOf(name, base: lookup.base, search: search), let last = lookup.steps.last?.step else { return false }
        return step >= last
    }
}
