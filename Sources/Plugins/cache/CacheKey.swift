import DNSWire

/// What identifies a cached answer: the question (name without case, type, class) and the two
/// query bits that change what an upstream returns, DO (DNSSEC records wanted) and CD (checking
/// disabled: a validating upstream answers even bogus data). CoreDNS keys on the same five things.
///
/// The name is not copied: it points into the query packet (or the stored blob), so building a
/// key allocates nothing.
struct CacheKey {
    struct Flags: OptionSet {
        let rawValue: UInt8
        static let dnssecOK = Flags(rawValue: 1)
        static let checkingDisabled = Flags(rawValue: 2)
    }

    /// The question name in wire form, any case.
    let name: UnsafeRawBufferPointer
    let type: UInt16
    let queryClass: UInt16
    let flags: Flags
    let hash: UInt64

    init(name: UnsafeRawBufferPointer, type: RecordType, queryClass: RecordClass, flags: Flags) {
        self.name = name
        self.type = type.rawValue
        self.queryClass = queryClass.rawValue
        self.flags = flags
        hash = CacheKey.hash(name: name, type: type.rawValue, queryClass: queryClass.rawValue, flags: flags.rawValue)
    }

    /// The key of `request`'s question.
    init(_ request: Request) {
        var flags: Flags = []
        if request.dnssecOK { flags.insert(.dnssecOK) }
        if request.checkingDisabled { flags.insert(.checkingDisabled) }
        self.init(name: request.questionName, type: request.questionType, queryClass: request.questionClass, flags: flags)
    }

    /// Mixes the case-folded name hash with type, class and flags. Allocation-free.
    @inline(__always)
    static func hash(name: UnsafeRawBufferPointer, type: UInt16, queryClass: UInt16, flags: UInt8) -> UInt64 {
        let extra = UInt64(type) << 24 | UInt64(queryClass) << 8 | UInt64(flags)
        var h = WireName.hashIgnoringCase(name) ^ (extra &* 0x9E37_79B9_7F4A_7C15)
        h ^= h >> 32
        h &*= 0xD6E8_FEB8_6659_FD93
        return h ^ (h >> 32)
    }
}
