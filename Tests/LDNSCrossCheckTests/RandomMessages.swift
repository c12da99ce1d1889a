import DNSWire

/// SplitMix64: small, fast, and the same sequence for the same seed on every platform, so a
/// failing message can be regenerated from the seed the test prints.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Builds random but valid messages: names with awkward octets and lengths up to the limits,
/// every typed RDATA kind, RFC 1035's other types with well-formed opaque RDATA, private-use types
/// with random octets, EDNS with every option kind, every header bit, and sections whose names
/// share suffixes so compression has work to do.
struct RandomMessages {
    var rng: SeededGenerator
    /// Names records reuse (with new labels in front, or in another case) to make compression bite.
    private var suffixes: [DomainName] = []

    init(seed: UInt64) { rng = SeededGenerator(seed: seed) }

    // Plain modulo arithmetic instead of the stdlib's generic `random(in:using:)`: unspecialized
    // generics dominate a debug build's run time, and the tiny modulo bias does not matter here.
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(rng.next() % UInt64(range.upperBound - range.lowerBound + 1))
    }
    mutating func chance(_ p: Double) -> Bool { Double(rng.next() >> 11) * 0x1p-53 < p }
    mutating func u8() -> UInt8 { UInt8(truncatingIfNeeded: rng.next()) }
    mutating func u16() -> UInt16 { UInt16(truncatingIfNeeded: rng.next()) }
    mutating func u32() -> UInt32 { UInt32(truncatingIfNeeded: rng.next()) }
    mutating func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        for i in 0..<count { out[i] = u8() }
        return out
    }
    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

    // MARK: Names

    /// Octets that need escapes in presentation form, or that break naive string handling.
    static let awkward: [UInt8] = [UInt8(ascii: "."), UInt8(ascii: " "), 0x00, 0xFF, UInt8(ascii: "\\"),
                                   UInt8(ascii: "\""), UInt8(ascii: ";"), UInt8(ascii: "("), UInt8(ascii: ")"),
                                   UInt8(ascii: "@"), UInt8(ascii: "$"), UInt8(ascii: "\t"), 0x7F, 0x80, 0xC0]

    mutating func labelOctet() -> UInt8 {
        switch int(0...99) {
        case 0..<50: UInt8(ascii: "a") + UInt8(int(0...25))
        case 50..<68: UInt8(ascii: "A") + UInt8(int(0...25))
        case 68..<80: UInt8(ascii: "0") + UInt8(int(0...9))
        case 80..<86: UInt8(ascii: "-")
        case 86..<88: UInt8(ascii: "_")
        case 88..<96: pick(RandomMessages.awkward)
        default: u8()
        }
    }

    mutating func label(maxLength: Int) -> [UInt8] {
        let length: Int
        switch int(0...19) {
        case 0: length = min(63, maxLength)
        case 1: length = int(1...min(63, maxLength))
        default: length = int(1...min(12, maxLength))
        }
        return (0..<length).map { _ in labelOctet() }
    }

    /// A fresh name; one in twelve is exactly 255 octets, the longest a name may be.
    mutating func freshName() -> DomainName {
        if chance(0.03) { return .root }
        let full = chance(1.0 / 12)
        let labelCount = full ? 64 : int(1...5)
        var labels: [[UInt8]] = []
        var wireLength = 1
        while labels.count < labelCount {
            let room = DomainName.maxWireLength - wireLength - 1
            if room < 1 { break }
            var next = label(maxLength: room)
            if full && room <= 63 { next = (0..<room).map { _ in labelOctet() } }
            labels.append(next)
            wireLength += 1 + next.count
        }
        return (try? DomainName(labels: labels)) ?? .root
    }

    /// The same name with the case of some letters flipped (0x20-style).
    mutating func recased(_ name: DomainName) -> DomainName {
        var wire = name.wire
        var i = 0
        while wire[i] != 0 {
            let length = Int(wire[i])
            for j in (i + 1)...(i + length) where chance(0.3) {
                let b = wire[j]
                if (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) { wire[j] = b ^ 0x20 }
            }
            i += 1 + length
        }
        return (try? DomainName(wire: wire)) ?? name
    }

    /// Mostly names built on a shared suffix, sometimes fresh ones.
    mutating func name() -> DomainName {
        if suffixes.isEmpty || chance(0.25) {
            let fresh = freshName()
            if suffixes.count < 6 { suffixes.append(fresh) }
            return fresh
        }
        var base = pick(suffixes)
        if chance(0.2) { base = recased(base) }
        for _ in 0..<int(0...2) {
            guard let longer = try? base.prepending(label(maxLength: 20)) else { break }
            base = longer
        }
        return base
    }

    // MARK: Records

    mutating func characterString(maxLength: Int = 255) -> [UInt8] {
        switch int(0...9) {
        case 0: return []
        case 1: return bytes(maxLength)
        case 2: return bytes(int(0...maxLength))
        default: return (0..<int(0...40)).map { _ in int(0...9) == 0 ? u8() : UInt8(int(0x20...0x7E)) }
        }
    }

    /// RDATA of RFC 1035's other types (and RFC 1183's), well formed and uncompressed, as
    /// `RData.unknown` holds it.
    mutating func opaqueRFC1035(_ type: RecordType) -> [UInt8] {
        switch type {
        case .md, .mf, .mb, .mg, .mr: return name().wire
        case .minfo, .rp: return name().wire + name().wire
        case .afsdb, .rt: return [u8(), u8()] + name().wire
        case .hinfo: return lengthPrefixed(characterString(maxLength: 60)) + lengthPrefixed(characterString(maxLength: 60))
        case .wks: return bytes(4) + [pick([6, 17])] + bytes(int(0...16))
        default: return bytes(int(1...64))   // NULL: anything
        }
    }

    func lengthPrefixed(_ s: [UInt8]) -> [UInt8] { [UInt8(s.count)] + s }

    static let rfc1035Types: [RecordType] = [.md, .mf, .mb, .mg, .mr, .null, .wks, .hinfo, .minfo, .rp, .afsdb, .rt]

    /// A type libldns has no descriptor for, so it keeps the RDATA as one opaque field too.
    mutating func privateType() -> RecordType {
        chance(0.5) ? RecordType(rawValue: UInt16(int(65280...65534))) : RecordType(rawValue: UInt16(int(4000...30000)))
    }

    mutating func recordClass() -> RecordClass {
        switch int(0...9) {
        case 0: .chaos
        case 1: .hesiod
        case 2: RecordClass(rawValue: u16())
        default: .in
        }
    }

    mutating func ttl() -> UInt32 { chance(0.2) ? u32() : UInt32(int(0...86400)) }

    mutating func record(owner: DomainName, kind: Int? = nil) -> ResourceRecord {
        let rdata: RData
        let type: RecordType
        switch kind ?? int(0...13) {
        case 0: rdata = .a(IPv4Address(rawValue: u32()))
        case 1: rdata = .aaaa(randomIPv6())
        case 2: rdata = .ns(name())
        case 3: rdata = .cname(name())
        case 4: rdata = .ptr(name())
        case 5: rdata = .soa(SOAData(primaryNameServer: name(), responsibleMailbox: name(), serial: u32(),
                                     refresh: u32(), retry: u32(), expire: u32(), minimum: u32()))
        case 6: rdata = .mx(preference: u16(), exchange: name())
        case 7: rdata = .txt((0..<int(1...4)).map { _ in characterString() })
        case 8: rdata = .srv(priority: u16(), weight: u16(), port: u16(), target: name())
        case 9, 10:
            type = pick(RandomMessages.rfc1035Types)
            return ResourceRecord(name: owner, type: type, recordClass: recordClass(), ttl: ttl(),
                                  rdata: .unknown(opaqueRFC1035(type)))
        default:
            type = privateType()
            return ResourceRecord(name: owner, type: type, recordClass: recordClass(), ttl: ttl(),
                                  rdata: .unknown(bytes(chance(0.1) ? 0 : int(1...80))))
        }
        return ResourceRecord(name: owner, ttl: ttl(), recordClass: recordClass(), rdata: rdata)
    }

    mutating func randomIPv6() -> IPv6Address {
        switch int(0...5) {
        case 0: return IPv6Address(high: 0, low: UInt64(0xFFFF) << 32 | UInt64(u32()))   // v4-mapped
        case 1: return IPv6Address(high: 0, low: UInt64(u32()))                           // v4-compatible
        case 2: return IPv6Address(high: UInt64(u16()) << 48, low: UInt64(u16()))         // long zero run
        default:
            // Random groups, each zero with some chance, so `::` lands in varied places.
            var high: UInt64 = 0
            var low: UInt64 = 0
            for i in 0..<8 {
                let group = UInt64(chance(0.35) ? 0 : u16())
                if i < 4 { high = high << 16 | group } else { low = low << 16 | group }
            }
            return IPv6Address(high: high, low: low)
        }
    }

    /// A run of records; some runs are RRsets (same owner and type, several records).
    mutating func section(maxRecords: Int) -> [ResourceRecord] {
        var records: [ResourceRecord] = []
        let target = int(0...maxRecords)
        while records.count < target {
            let owner = name()
            let kind = int(0...13)
            let first = record(owner: owner, kind: kind)
            records.append(first)
            if chance(0.3) {
                for _ in 0..<int(1...3) {
                    var sibling = record(owner: owner, kind: kind)
                    if case .unknown = first.rdata {
                        let opaque = RandomMessages.rfc1035Types.contains(first.type) ? opaqueRFC1035(first.type) : bytes(int(1...80))
                        sibling = ResourceRecord(name: owner, type: first.type, ttl: sibling.ttl, rdata: .unknown(opaque))
                    }
                    sibling.recordClass = first.recordClass
                    records.append(sibling)
                }
            }
        }
        return records
    }

    // MARK: EDNS and messages

    mutating func ednsOption() -> EDNSOption {
        switch int(0...5) {
        case 0: return .cookie(client: bytes(8), server: chance(0.5) ? bytes(int(8...32)) : [])
        case 1: return chance(0.7) ? .padding(length: int(0...128)) : EDNSOption(code: .padding, data: bytes(int(0...16)))
        case 2:
            let v6 = chance(0.5)
            let bits = int(0...(v6 ? 128 : 32))
            var address = bytes((bits + 7) / 8)
            if bits % 8 != 0, let last = address.indices.last { address[last] &= UInt8(0xFF << (8 - bits % 8) & 0xFF) }
            return ClientSubnet(family: v6 ? 2 : 1, sourcePrefixLength: UInt8(bits),
                                scopePrefixLength: UInt8(int(0...bits)), address: address).option
        case 3: return EDNSOption(code: .nsid, data: bytes(int(0...20)))
        case 4: return EDNSOption(code: .extendedError, data: [0, UInt8(int(0...26))] + Array("extra text".utf8).prefix(int(0...10)))
        default: return EDNSOption(code: EDNSOptionCode(rawValue: UInt16(int(16...65535))), data: bytes(int(0...40)))
        }
    }

    mutating func edns() -> EDNS {
        var e = EDNS(udpPayloadSize: chance(0.8) ? pick([512, 1232, 4096, 65535]) : u16(),
                     extendedRCode: chance(0.2) ? u8() : 0, version: chance(0.1) ? u8() : 0,
                     dnssecOK: chance(0.5), options: (0..<int(0...4)).map { _ in ednsOption() })
        if chance(0.1) { e.flags |= u16() & 0x7FFF }   // reserved Z bits must survive too
        return e
    }

    mutating func message() -> Message {
        suffixes.removeAll(keepingCapacity: true)
        var header = Header(id: u16(), flags: u16())
        if chance(0.6) { header.opcode = .query }
        var questions: [Question] = []
        let questionCount = chance(0.9) ? 1 : int(0...3)
        for _ in 0..<questionCount {
            questions.append(Question(name: name(), type: chance(0.8) ? pick([.a, .aaaa, .srv, .ptr, .txt, .soa, .ns, .mx, .any])
                                                                   : RecordType(rawValue: u16()),
                                      questionClass: recordClass()))
        }
        var answers = section(maxRecords: 8)
        if chance(0.02) {
            // A bulky record first pushes the later names past offset 0x3FFF, where a 14-bit
            // compression pointer can no longer reach them.
            answers.insert(ResourceRecord(name: name(), type: privateType(), ttl: ttl(), rdata: .unknown(bytes(int(16_400...20_000)))), at: 0)
        }
        return Message(header: header, questions: questions,
                       answers: answers, authorities: section(maxRecords: 3),
                       additionals: section(maxRecords: 5), edns: chance(0.7) ? edns() : nil)
    }

    /// Many records under one zone: the shape where compression saves the most.
    mutating func compressionHeavyMessage() -> Message {
        suffixes.removeAll(keepingCapacity: true)
        let zone: DomainName = chance(0.5) ? "svc.Cluster.local." : freshName()
        suffixes = [zone]
        var message = Message(header: Header(id: u16(), flags: 0x8180),
                              questions: [Question(name: zone, type: .srv)])
        for _ in 0..<int(10...24) {
            let owner = name()
            switch int(0...3) {
            case 0: message.answers.append(ResourceRecord(name: owner, ttl: ttl(), rdata: .srv(priority: 0, weight: u16(), port: u16(), target: name())))
            case 1: message.answers.append(ResourceRecord(name: owner, ttl: ttl(), rdata: .cname(name())))
            case 2: message.answers.append(ResourceRecord(name: owner, ttl: ttl(), rdata: .mx(preference: u16(), exchange: name())))
            default: message.additionals.append(ResourceRecord(name: owner, ttl: ttl(), rdata: .a(IPv4Address(rawValue: u32()))))
            }
        }
        message.authorities = [ResourceRecord(name: zone, ttl: 30, rdata: .soa(SOAData(
            primaryNameServer: name(), responsibleMailbox: name(), serial: u32(), refresh: 7200, retry: 1800,
            expire: 86400, minimum: 30)))]
        if chance(0.5) { message.edns = edns() }
        return message
    }
}
