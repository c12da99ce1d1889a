// libFuzzer entry point for the DNSWire codec. Built by Fuzz/run.sh together with the DNSWire
// sources in one `swiftc -sanitize=fuzzer,address` invocation (no SwiftPM), so it sees
// DNSWire's internal symbols as its own and needs no `import`.
//
// What it checks, on every input (a violation is a trap, which libFuzzer reports as a crash):
//  1. `QueryParser.parse` and `Message(parsing:)` never trap and never read out of bounds
//     (AddressSanitizer watches the second part).
//  2. Whenever `Message(parsing:)` accepts the octets, `QueryParser.parse` accepts them too and
//     agrees on header, question and EDNS fields.
//  3. A parsed message re-encoded with `encoded(maxSize:)` at a limit taken from the input parses
//     again and equals the original, byte for byte in names, except for what truncation may drop:
//     each section is a prefix of the original ending on an RRset boundary, TC is set exactly when
//     answers or authorities were cut, and the OPT record is always kept.
//  4. Every parsed record printed in presentation form reads back as the same record.
//  5. The input read as text through `DomainName(_:)` and `ResourceRecord(presentation:)`: what is
//     accepted prints and reads back unchanged, and an accepted record survives a wire round trip.
//  6. A well-formed COOKIE option checked with a rotating keyring (clock, interval and address from
//     the input) keeps the client cookie, and the cookie sent back is valid and echoed at once.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let packet = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
    FuzzChecks.wire(packet)
    FuzzChecks.text(packet)
    return 0
}

enum FuzzChecks {
    /// Stops the process with a message libFuzzer prints next to the crashing input.
    static func require(_ condition: @autoclosure () -> Bool, _ what: @autoclosure () -> String) {
        if !condition() {
            print("FUZZ INVARIANT VIOLATED: \(what())")
            preconditionFailure(what())
        }
    }

    // MARK: Wire

    static func wire(_ packet: UnsafeRawBufferPointer) {
        let query: Result<ParsedQuery, WireError>
        do throws(WireError) { query = .success(try QueryParser.parse(packet)) } catch { query = .failure(error) }
        if case .success(let parsed) = query { checkQuery(parsed, packet) }

        let message: Message
        do throws(WireError) { message = try Message(parsing: packet) } catch {
            cookieRemoval(packet, parsed: nil)
            return
        }
        _ = message.description
        cookieRemoval(packet, parsed: message)

        switch query {
        case .success(let parsed):
            agree(parsed, message, packet)
        case .failure(let error):
            // The one leniency of the full parser: an OPT owner written as a pointer to the root
            // decompresses to the root; the in-place reader insists on the literal root octet.
            guard case .misplacedOPT = error else {
                require(false, "Message parsed but QueryParser threw \(error)")
                return
            }
        }

        for record in message.answers + message.authorities + message.additionals {
            presentationRoundTrip(record)
        }

        let id = Int(message.header.id)
        let limit = id & 1 == 0 ? 65535 : Header.size + (id >> 1) % 1500
        reencode(message, maxSize: limit)
        if limit != 65535 { reencode(message, maxSize: 65535) }
    }

    /// `CookieReply.removeCookies` (forward's edit of a client's query) stays inside the message
    /// whatever it is, and a message that parsed parses afterwards with the same EDNS options but
    /// the COOKIEs.
    static func cookieRemoval(_ packet: UnsafeRawBufferPointer, parsed message: Message?) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(packet.count, 1), alignment: 1)
        defer { buffer.deallocate() }
        if packet.count > 0 { buffer.copyMemory(from: packet) }
        let length = CookieReply.removeCookies(from: buffer, length: packet.count)
        require(length <= packet.count, "removeCookies grew the message: \(packet.count) → \(length)")
        guard let message else { return }
        let after: Message
        do throws(WireError) { after = try Message(parsing: UnsafeRawBufferPointer(rebasing: buffer[0..<length])) } catch {
            require(false, "removeCookies broke a message that parsed: \(error)")
            return
        }
        let kept = message.edns?.options.filter { $0.code != .cookie }
        require(after.edns?.options == kept, "removeCookies changed other options: \(String(describing: after.edns?.options))")
    }

    /// Offsets a `ParsedQuery` reports lie inside the packet, and option lookup stays inside too.
    static func checkQuery(_ parsed: ParsedQuery, _ packet: UnsafeRawBufferPointer) {
        require(parsed.questionEnd <= packet.count, "questionEnd past the packet")
        if parsed.hasQuestion {
            require(ParsedQuery.nameOffset + parsed.nameLength + 4 <= parsed.questionEnd, "question name overruns")
            let name = UnsafeRawBufferPointer(rebasing: packet[ParsedQuery.nameOffset..<(ParsedQuery.nameOffset + parsed.nameLength)])
            _ = WireName.hashIgnoringCase(name)
            require(WireName.equalIgnoringCase(name, name), "a name differs from itself")
        }
        if let edns = parsed.edns {
            require(edns.optionsOffset + edns.optionsLength <= packet.count, "EDNS options past the packet")
            for code: UInt16 in [3, 8, 10, 12, 65001] {
                if let found = QueryParser.option(EDNSOptionCode(rawValue: code), in: packet, edns: edns) {
                    require(found.offset + found.length <= edns.optionsOffset + edns.optionsLength, "option past OPT")
                }
            }
            if let found = QueryParser.option(.cookie, in: packet, edns: edns), ServerCookie.isWellFormed(length: found.length) {
                serverCookie(UnsafeRawBufferPointer(rebasing: packet[found.offset..<(found.offset + found.length)]), packet)
            }
        }
    }

    /// The query engine's cookie check on a well-formed COOKIE option, with a rotating keyring
    /// whose clock, interval and client address come from the input: the reply carries the
    /// client's cookie, and the reply, sent back at once, is valid and echoed unchanged (a cookie
    /// the server just made or kept is always good and stable).
    static func serverCookie(_ option: UnsafeRawBufferPointer, _ packet: UnsafeRawBufferPointer) {
        let seed = packet.count >= 4 ? UInt32(packet[0]) << 24 | UInt32(packet[1]) << 16 | UInt32(packet[2]) << 8 | UInt32(packet[3]) : 0
        let now = 1_796_601_600 &+ seed
        let interval = 1 + seed % 90_000
        let address = IPAddress.v4(IPv4Address(rawValue: seed ^ 0x0A00_0001))
        var keyring = CookieKeyring(master: CookieSecret(k0: 0x0123_4567_89AB_CDEF, k1: UInt64(seed)), previousMaster: nil,
                                    interval: interval, now: now &- interval)
        let first = ServerCookie.check(option: option, address: address, now: now, keyring: &keyring)
        let reply = first.reply.bytes
        require(reply.prefix(8).elementsEqual(option.prefix(8)), "the reply's client cookie differs from the query's")
        require(option.count != 8 || first.status == .clientOnly, "a client cookie alone checked as \(first.status)")
        reply.withUnsafeBytes { again in
            let second = ServerCookie.check(option: again, address: address, now: now, keyring: &keyring)
            require(second.status == .valid && second.reply == first.reply,
                    "a cookie just made (or kept) is not valid and echoed at once: \(second.status)")
        }
    }

    static func agree(_ parsed: ParsedQuery, _ message: Message, _ packet: UnsafeRawBufferPointer) {
        require(parsed.header == message.header, "headers differ")
        if let question = message.questions.first {
            require(parsed.nameLength == question.name.wireLength, "question name lengths differ")
            let inPacket = Array(packet[ParsedQuery.nameOffset..<(ParsedQuery.nameOffset + parsed.nameLength)])
            require(inPacket == question.name.wire, "question names differ")
            require(parsed.type == question.type && parsed.queryClass == question.questionClass, "qtype/qclass differ")
        } else {
            require(!parsed.hasQuestion, "QueryParser found a question the message lacks")
        }
        require((parsed.edns == nil) == (message.edns == nil), "EDNS presence differs")
        if let e = parsed.edns, let m = message.edns {
            require(e.udpPayloadSize == m.udpPayloadSize && e.extendedRCode == m.extendedRCode
                    && e.version == m.version && e.flags == m.flags, "EDNS fields differ")
            let optionOctets = m.options.reduce(0) { $0 + 4 + $1.data.count }
            require(optionOctets == e.optionsLength, "EDNS option lengths differ")
        }
    }

    // MARK: Re-encoding

    static func reencode(_ message: Message, maxSize: Int) {
        guard let wire = message.encoded(maxSize: maxSize) else {
            // Only header, questions and OPT can make encoding fail; without records it must fail too.
            let bare = Message(header: message.header, questions: message.questions, edns: message.edns)
            require(bare.encoded(maxSize: maxSize) == nil, "encoded() gave up although the question and OPT fit")
            return
        }
        require(wire.count <= max(maxSize, Header.size), "encoded \(wire.count) octets over the \(maxSize) limit")
        let again: Message
        do throws(WireError) { again = try Message(parsing: wire) } catch {
            require(false, "re-encoded message does not parse: \(error)\n\(message)")
            return
        }
        var expectedFlags = message.header.flags & ~Header.tcMask
        let cutAnswers = isRRsetPrefix(again.answers, of: message.answers)
        let cutAuthorities = isRRsetPrefix(again.authorities, of: message.authorities)
        let cutAdditionals = isRRsetPrefix(again.additionals, of: message.additionals)
        let answersCut = again.answers.count < message.answers.count
        let authoritiesCut = again.authorities.count < message.authorities.count
        if message.header.truncated || answersCut || authoritiesCut { expectedFlags |= Header.tcMask }
        require(again.header.id == message.header.id, "id changed")
        require(again.header.flags == expectedFlags,
                "flags \(again.header.flags) expected \(expectedFlags)\n\(message)\n---\n\(again)")
        require(again.questions.count == message.questions.count
                && zip(again.questions, message.questions).allSatisfy(sameQuestion), "questions changed")
        require(cutAnswers && cutAuthorities && cutAdditionals,
                "a section is not an RRset-aligned prefix of the original\n\(message)\n---\n\(again)")
        if answersCut { require(again.authorities.isEmpty && again.additionals.isEmpty, "records after a cut answer") }
        if authoritiesCut { require(again.additionals.isEmpty, "records after a cut authority") }
        require(again.edns == message.edns, "EDNS changed")
        // Truncation must not be eager: the first RRset left out would not have fit even uncompressed.
        let sections = [(again.answers, message.answers), (again.authorities, message.authorities),
                        (again.additionals, message.additionals)]
        if let (kept, whole) = sections.first(where: { $0.0.count < $0.1.count }) {
            let dropped = whole[kept.count...].prefix { $0.sameRRset(as: whole[kept.count]) }
            let bound = dropped.reduce(0) { $0 + $1.name.wireLength + 10 + rdataBound($1.rdata) }
            let size = min(max(maxSize, Header.size), 65535)
            require(wire.count + bound > size,
                    "an RRset of at most \(bound) octets was dropped from a \(wire.count)-octet message limited to \(size)")
        }
    }

    /// An upper bound of a record's RDATA length on the wire (names uncompressed).
    static func rdataBound(_ rdata: RData) -> Int {
        switch rdata {
        case .a: 4
        case .aaaa: 16
        case .ns(let n), .cname(let n), .ptr(let n): n.wireLength
        case .soa(let s): s.primaryNameServer.wireLength + s.responsibleMailbox.wireLength + 20
        case .mx(_, let n): 2 + n.wireLength
        case .txt(let strings): strings.reduce(0) { $0 + 1 + $1.count }
        case .srv(_, _, _, let n): 6 + n.wireLength
        case .unknown(let bytes): bytes.count
        }
    }

    /// `prefix` is `whole[0..<k]` (compared exactly, case included) and `k` is an RRset boundary.
    static func isRRsetPrefix(_ prefix: [ResourceRecord], of whole: [ResourceRecord]) -> Bool {
        let k = prefix.count
        guard k <= whole.count else { return false }
        for i in 0..<k where !sameRecord(prefix[i], whole[i]) { return false }
        if k == 0 || k == whole.count { return true }
        return !whole[k].sameRRset(as: whole[k - 1])
    }

    static func sameQuestion(_ a: Question, _ b: Question) -> Bool {
        a == b && a.name.exactlyEquals(b.name)
    }

    /// Equality with names compared case and all.
    static func sameRecord(_ a: ResourceRecord, _ b: ResourceRecord) -> Bool {
        guard a == b, a.name.exactlyEquals(b.name) else { return false }
        switch (a.rdata, b.rdata) {
        case (.ns(let x), .ns(let y)), (.cname(let x), .cname(let y)), (.ptr(let x), .ptr(let y)),
             (.mx(_, let x), .mx(_, let y)), (.srv(_, _, _, let x), .srv(_, _, _, let y)):
            return x.exactlyEquals(y)
        case (.soa(let x), .soa(let y)):
            return x.primaryNameServer.exactlyEquals(y.primaryNameServer)
                && x.responsibleMailbox.exactlyEquals(y.responsibleMailbox)
        default:
            return true
        }
    }

    // MARK: Presentation

    static func presentationRoundTrip(_ record: ResourceRecord) {
        let text = record.description
        do throws(PresentationError) {
            let back = try ResourceRecord(presentation: text)
            require(sameRecord(back, record), "'\(text)' reads back as '\(back)'")
        } catch {
            require(false, "'\(text)' does not read back: \(error)")
        }
    }

    static func text(_ packet: UnsafeRawBufferPointer) {
        let text = String(decoding: packet, as: UTF8.self)
        if let name = try? DomainName(text) {
            require((try? DomainName.validate(name.wire)) != nil, "DomainName(_:) built an invalid wire name")
            let printed = name.description
            require((try? DomainName(printed))?.exactlyEquals(name) == true, "name '\(printed)' does not read back")
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: true).prefix(8) {
            guard let record = try? ResourceRecord(presentation: String(line)) else { continue }
            presentationRoundTrip(record)
            var header = Header(id: 1)
            header.isResponse = true
            let message = Message(header: header, answers: [record])
            guard let wire = message.encoded() else {
                require(false, "a single parsed record does not encode: \(record)")
                continue
            }
            do throws(WireError) {
                let again = try Message(parsing: wire)
                require(again.answers.count == 1 && sameRecord(again.answers[0], record),
                        "'\(line)' changes on the wire: \(again.answers)")
            } catch {
                require(false, "'\(line)' encodes to a message that does not parse: \(error)")
            }
        }
    }
}
