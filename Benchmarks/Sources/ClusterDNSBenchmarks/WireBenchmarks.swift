import DNSWire

/// The DNSWire hot path and the typed-message path around it.
enum WireBenchmarks {
    static let all: [Benchmark] = [parseQuery, hashName40, encode3A, encode3ARaw, encode3AMessage, parseResponse, roundTrip30]

    /// `web1.default.svc.local. A`, no EDNS: 12 + 24 + 4 = 40 octets.
    static func query40() -> [UInt8] {
        let query = Message.query(id: 0x2B67, name: "web1.default.svc.local.", type: .a, edns: nil)
        return query.encoded() ?? []
    }

    static let parseQuery = Benchmark(
        "parseQuery", "QueryParser.parse of a 40-byte A query, in place (target: 0 mallocs)"
    ) {
        let wire = query40()
        Fixtures.require(wire.count == 40, "the query is \(wire.count) octets, not 40")
        let packet = Fixtures.stable(wire)
        return {
            let parsed = try? QueryParser.parse(packet)
            blackHole(parsed)
        }
    }

    static let hashName40 = Benchmark(
        "hashName40", "WireName.hashIgnoringCase of a 40-octet wire name (the registry's lookup key)"
    ) {
        let name: DomainName = "Kube-DNS.kube-system.svc.Cluster.local."
        Fixtures.require(name.wireLength == 40, "the name is \(name.wireLength) octets, not 40")
        let bytes = Fixtures.stable(name.wire)
        return { blackHole(WireName.hashIgnoringCase(bytes)) }
    }

    static func answerParts() -> (Header, Question, [ResourceRecord]) {
        var header = Header(id: 0x2B67)
        header.isResponse = true
        header.authoritative = true
        header.recursionDesired = true
        let question = Question(name: "web.default.svc.cluster.local.", type: .a)
        let records = (20...22).map { ResourceRecord(name: question.name, ttl: 5, rdata: .a(IPv4Address(10, 96, 0, UInt8($0)))) }
        return (header, question, records)
    }

    static let encode3A = Benchmark(
        "encode3A", "MessageWriter: header, question and 3 A records, owners compressed, into a preallocated buffer (target: 0 mallocs)"
    ) {
        let (header, question, records) = answerParts()
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 512, alignment: 16)
        let table = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: 64)
        let body = {
            var writer = MessageWriter(buffer: output, limit: 512, compression: table)
            do {
                try writer.writeHeader(header)
                try writer.writeQuestion(question)
                for record in records { try writer.writeRecord(record) }
            } catch {
                blackHole(error)
            }
            writer.setCounts(question: 1, answer: 3, authority: 0, additional: 0)
            blackHole(writer.position)
        }
        body()
        // 12 + 35 (question) + 3 × (2 pointer + 10 + 4) = 95 octets: each owner is a pointer.
        let written = Array(UnsafeRawBufferPointer(output).prefix(95))
        let decoded = try? Message(parsing: written)
        Fixtures.require(decoded?.answers == records, "encode3A does not write the 3 records in 95 octets")
        return body
    }

    static let encode3ARaw = Benchmark(
        "encode3ARaw", "MessageWriter as the query path can use it: question octets copied, owners as pointers to offset 12, fields written directly (target: 0 mallocs)"
    ) {
        let (header, question, records) = answerParts()
        let questionWire = question.name.wire + [0, 1, 0, 1]
        let questionBytes = Fixtures.stable(questionWire)
        let addresses = records.compactMap { record -> UInt32? in
            if case .a(let a) = record.rdata { return a.rawValue } else { return nil }
        }
        let (a0, a1, a2) = (addresses[0], addresses[1], addresses[2])
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 512, alignment: 16)
        let table = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: 64)
        let body = {
            var writer = MessageWriter(buffer: output, limit: 512, compression: table)
            do {
                try writer.writeHeader(header)
                try writer.writeBytes(questionBytes)
                writer.registerName(at: Header.size)
                for address in [a0, a1, a2] {
                    try writer.writePointer(to: Header.size)
                    try writer.writeUInt16(RecordType.a.rawValue)
                    try writer.writeUInt16(RecordClass.in.rawValue)
                    try writer.writeUInt32(5)
                    try writer.writeUInt16(4)
                    try writer.writeUInt32(address)
                }
            } catch {
                blackHole(error)
            }
            writer.setCounts(question: 1, answer: 3, authority: 0, additional: 0)
            blackHole(writer.position)
        }
        body()
        let written = Array(UnsafeRawBufferPointer(output).prefix(95))
        let decoded = try? Message(parsing: written)
        Fixtures.require(decoded?.answers == records, "encode3ARaw does not write the 3 records in 95 octets")
        return body
    }

    static let encode3AMessage = Benchmark(
        "encode3AMessage", "Message.encoded() of the same answer: the allocating convenience API, for contrast"
    ) {
        let (header, question, records) = answerParts()
        let message = Message(header: header, questions: [question], answers: records)
        return { blackHole(message.encoded(maxSize: 512)) }
    }

    /// A typical answer off the wire: SRV for a headless service, two targets with A records in
    /// the additional section, EDNS with a cookie.
    static func typicalResponse() -> [UInt8] {
        var header = Header(id: 0x2B67)
        header.isResponse = true
        header.authoritative = true
        header.recursionDesired = true
        let service: DomainName = "_http._tcp.web.default.svc.cluster.local."
        let message = Message(
            header: header,
            questions: [Question(name: service, type: .srv)],
            answers: [
                ResourceRecord(name: service, ttl: 5, rdata: .srv(priority: 0, weight: 50, port: 80, target: "pod-1.web.default.svc.cluster.local.")),
                ResourceRecord(name: service, ttl: 5, rdata: .srv(priority: 0, weight: 50, port: 80, target: "pod-2.web.default.svc.cluster.local.")),
            ],
            additionals: [
                ResourceRecord(name: "pod-1.web.default.svc.cluster.local.", ttl: 5, rdata: .a(IPv4Address(10, 244, 1, 7))),
                ResourceRecord(name: "pod-2.web.default.svc.cluster.local.", ttl: 5, rdata: .a(IPv4Address(10, 244, 2, 9))),
            ],
            edns: EDNS(udpPayloadSize: 1232, options: [.cookie(client: [1, 2, 3, 4, 5, 6, 7, 8], server: Array(repeating: 9, count: 16))]))
        return message.encoded() ?? []
    }

    static let parseResponse = Benchmark(
        "parseResponse", "Message(parsing:) of a typical SRV answer (2 SRV, 2 A additional, EDNS cookie)"
    ) {
        let wire = typicalResponse()
        Fixtures.require((try? Message(parsing: wire))?.answers.count == 2, "the typical response does not parse")
        let packet = Fixtures.stable(wire)
        return { blackHole(try? Message(parsing: packet)) }
    }

    /// 30 A records under one service, as a large headless service answers.
    static func response30() -> [UInt8] {
        var header = Header(id: 0x2B67)
        header.isResponse = true
        header.authoritative = true
        let name: DomainName = "big.default.svc.cluster.local."
        let records = (0..<30).map { ResourceRecord(name: name, ttl: 5, rdata: .a(IPv4Address(10, 244, UInt8($0 / 8), UInt8($0)))) }
        let message = Message(header: header, questions: [Question(name: name, type: .a)], answers: records,
                              edns: EDNS(udpPayloadSize: 1232))
        return message.encoded() ?? []
    }

    static let roundTrip30 = Benchmark(
        "roundTrip30", "Message(parsing:) then encoded() of a 30-RR response (the forwarder/cache path)"
    ) {
        let wire = response30()
        let back = (try? Message(parsing: wire))?.encoded()
        Fixtures.require(back == wire, "the 30-RR response does not round-trip to the same octets")
        let packet = Fixtures.stable(wire)
        return {
            if let message = try? Message(parsing: packet) { blackHole(message.encoded()) }
        }
    }
}
