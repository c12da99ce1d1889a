import DNSWire

/// One name of a zone: an owner of records, or an empty non-terminal (a name with no records of
/// its own that exists because names below it do, RFC 4592 §2.2.2).
public struct ZoneNode: Sendable, Equatable {
    /// Lowercase name.
    public let name: DomainName
    /// The node's RRsets, in the order their first record appeared; empty for an empty non-terminal.
    public let rrsets: [ZoneRRset]
    /// Index of the parent node (the name without its first label); -1 for the apex.
    public let parent: Int
    /// Index of the `*` child (`*.<name>`), the source of synthesis for names below this one
    /// (RFC 4592 §2.2.1); -1 when there is none.
    public let wildcard: Int
    /// True for a zone cut: NS records at a name below the apex.
    public let isDelegation: Bool

    public init(name: DomainName, rrsets: [ZoneRRset], parent: Int, wildcard: Int, isDelegation: Bool) {
        self.name = name
        self.rrsets = rrsets
        self.parent = parent
        self.wildcard = wildcard
        self.isDelegation = isDelegation
    }

    /// True for a name that exists only because names below it do.
    public var isEmptyNonTerminal: Bool { rrsets.isEmpty }

    /// The RRset of `type`, or nil.
    /// - Complexity: O(types at this name). Allocation-free.
    public func rrset(_ type: RecordType) -> ZoneRRset? {
        for set in rrsets where set.type == type { return set }
        return nil
    }

    /// The one RRset an ANY query gets here (RFC 8482 §4.1, a subset of the node): its
    /// addresses when it has them (what a client asking ANY nearly always wants), else its first
    /// RRset that is not a signature. Nil for an empty non-terminal.
    /// - Complexity: O(types at this name). Allocation-free.
    public var rrsetForANY: ZoneRRset? {
        if let a = rrset(.a) { return a }
        if let aaaa = rrset(.aaaa) { return aaaa }
        for set in rrsets where set.type != .rrsig { return set }
        return nil
    }

    /// True when the node holds records of `type`.
    public func has(_ type: RecordType) -> Bool {
        for set in rrsets where set.type == type { return true }
        return false
    }
}
