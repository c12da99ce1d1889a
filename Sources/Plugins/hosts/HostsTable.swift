import DNSWire
import ZoneFile

/// The names and addresses of a hosts file plus the Corefile's inline entries, indexed for
/// answering: immutable, rebuilt whole on reload and shared by every worker.
///
/// As CoreDNS's Hostsfile: entries are `ADDRESS NAME [NAME...]` with `#` comments; lines that do
/// not parse are skipped, and unlike CoreDNS each is kept in `skipped` (with its line number) so
/// the plugin can report it once per load; names outside the plugin's zones are dropped; an IPv6 zone suffix
/// (`%eth0`) is ignored and IPv4-mapped IPv6 addresses count as IPv4. A name whose first label is
/// `*` matches exactly one more label (`*.example.com` covers `a.example.com`, not
/// `example.com` nor `a.b.example.com`) and gets no PTR. File entries come before inline ones;
/// an address listed twice for a name is kept once.
public final class HostsTable: Sendable {
    /// Addresses of one name.
    public struct Entry: Sendable, Equatable {
        public var v4: [IPv4Address] = []
        public var v6: [IPv6Address] = []
        public var isEmpty: Bool { v4.isEmpty && v6.isEmpty }
    }

    /// Exact names (lowercase) and their addresses.
    public let names: [DomainName]
    public let entries: [Entry]
    let nameIndex: WireNameTable<Int>
    /// Wildcard entries, indexed by the name below the `*` (`example.com.` for `*.example.com.`).
    public let wildcardParents: [DomainName]
    public let wildcardEntries: [Entry]
    let wildcardIndex: WireNameTable<Int>
    /// Reverse names (`1.0.0.127.in-addr.arpa.`) and the host names of that address, in file order.
    public let reverseNames: [DomainName]
    public let reverseTargets: [[DomainName]]
    let reverseIndex: WireNameTable<Int>

    /// CoreDNS's `coredns_hosts_entries`: addresses per name plus names per address.
    public let entryCount: Int

    /// A line (or a name on it) that could not be read and was left out.
    public struct SkippedLine: Sendable, Equatable, CustomStringConvertible {
        /// Which of the texts (0: the file; 1: the inline entries).
        public let text: Int
        /// 1-based line number within that text.
        public let line: Int
        public let reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    /// What was skipped, in text and line order.
    public let skipped: [SkippedLine]

    /// Builds the table from hosts-file texts, in order (the file, then the inline entries).
    /// - Parameters:
    ///   - zones: names outside these are dropped (CoreDNS keeps only names in its origins).
    ///   - reverse: whether to index addresses for PTR answers (`no_reverse` turns it off).
    public init(texts: [String], zones: [DomainName], reverse: Bool) {
        let zoneList = zones.map { $0.lowercased() }
        var names: [DomainName] = []
        var entries: [Entry] = []
        var position: [DomainName: Int] = [:]
        var wildParents: [DomainName] = []
        var wildEntries: [Entry] = []
        var wildPosition: [DomainName: Int] = [:]
        var reverseNames: [DomainName] = []
        var reverseTargets: [[DomainName]] = []
        var reversePosition: [DomainName: Int] = [:]
        let star: [UInt8] = [UInt8(ascii: "*")]

        var skipped: [SkippedLine] = []

        for (textIndex, text) in texts.enumerated() {
            // "\r\n" is one Character in Swift: both it and "\n" end a line.
            let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
            for (lineIndex, line) in lines.enumerated() {
                let content = line.prefix { $0 != "#" }
                let fields = content.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
                if fields.isEmpty { continue }
                guard let address = HostsTable.address(fields[0]) else {
                    skipped.append(SkippedLine(text: textIndex, line: lineIndex + 1, reason: "'\(fields[0])' is not an IP address"))
                    continue
                }
                guard fields.count >= 2 else {
                    skipped.append(SkippedLine(text: textIndex, line: lineIndex + 1, reason: "no host name after '\(fields[0])'"))
                    continue
                }
                for field in fields.dropFirst() {
                    let parsed: DomainName
                    do { parsed = try DomainName(field) } catch {
                        skipped.append(SkippedLine(text: textIndex, line: lineIndex + 1, reason: "'\(field)' is not a host name (\(error))"))
                        continue
                    }
                    let name = parsed.lowercased()
                    guard zoneList.contains(where: { name.isSubdomain(of: $0) }) else { continue }
                    if name.labelCount > 1 && name.firstLabel.elementsEqual(star) {
                        let parent = name.droppingFirst()
                        let i = wildPosition[parent] ?? {
                            wildParents.append(parent)
                            wildEntries.append(Entry())
                            wildPosition[parent] = wildEntries.count - 1
                            return wildEntries.count - 1
                        }()
                        HostsTable.add(address, to: &wildEntries[i])
                        continue
                    }
                    let i = position[name] ?? {
                        names.append(name)
                        entries.append(Entry())
                        position[name] = entries.count - 1
                        return entries.count - 1
                    }()
                    HostsTable.add(address, to: &entries[i])
                    guard reverse else { continue }
                    let reverseName = address.reverseName
                    let r = reversePosition[reverseName] ?? {
                        reverseNames.append(reverseName)
                        reverseTargets.append([])
                        reversePosition[reverseName] = reverseTargets.count - 1
                        return reverseTargets.count - 1
                    }()
                    if !reverseTargets[r].contains(name) { reverseTargets[r].append(name) }
                }
            }
        }
        self.skipped = skipped
        self.names = names
        self.entries = entries
        self.nameIndex = HostsTable.index(names)
        self.wildcardParents = wildParents
        self.wildcardEntries = wildEntries
        self.wildcardIndex = HostsTable.index(wildParents)
        self.reverseNames = reverseNames
        self.reverseTargets = reverseTargets
        self.reverseIndex = HostsTable.index(reverseNames)
        self.entryCount = entries.reduce(0) { $0 + $1.v4.count + $1.v6.count }
            + wildEntries.reduce(0) { $0 + $1.v4.count + $1.v6.count }
            + reverseTargets.reduce(0) { $0 + $1.count }
    }

    static func index(_ names: [DomainName]) -> WireNameTable<Int> {
        var table = WireNameTable<Int>(capacity: names.count)
        for (i, name) in names.enumerated() { table.insert(name.wire, i) }
        table.shrinkToFit()
        return table
    }

    /// An address field: IPv4 or IPv6, a `%zone` suffix dropped, IPv4-mapped IPv6 as IPv4.
    static func address(_ text: Substring) -> IPAddress? {
        let bare = text.split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false).first ?? text
        guard let address = IPAddress(bare) else { return nil }
        if case .v6(let v6) = address, v6.high == 0, v6.low >> 32 == 0xFFFF {
            return .v4(IPv4Address(rawValue: UInt32(truncatingIfNeeded: v6.low)))
        }
        return address
    }

    static func add(_ address: IPAddress, to entry: inout Entry) {
        switch address {
        case .v4(let a): if !entry.v4.contains(a) { entry.v4.append(a) }
        case .v6(let a): if !entry.v6.contains(a) { entry.v6.append(a) }
        }
    }

    /// The entry for `name` (wire form, any case): the exact name's, else the wildcard one
    /// label up. Nil when neither exists.
    /// - Complexity: O(name length) expected. Allocation-free.
    public func entry(for name: UnsafeRawBufferPointer) -> Entry? {
        if let i = nameIndex.lookup(name) { return entries[i] }
        guard name.count > 1 else { return nil }
        let parent = UnsafeRawBufferPointer(rebasing: name[(1 + Int(name[0]))...])
        guard let i = wildcardIndex.lookup(parent) else { return nil }
        return wildcardEntries[i]
    }

    /// The host names for the reverse name `name` (wire form, any case), or nil.
    /// - Complexity: O(name length) expected. Allocation-free.
    public func hosts(forReverse name: UnsafeRawBufferPointer) -> [DomainName]? {
        reverseIndex.lookup(name).map { reverseTargets[$0] }
    }
}
