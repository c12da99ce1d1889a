import Corefile
import DNSWire
import Testing
@testable import Plugins

@Suite struct LoadbalancePluginTests {
    static func hostsChain(_ loadbalance: String = "loadbalance", count: Int = 10) throws -> InProcessChain {
        var file = ""
        for i in 1...count { file += "10.0.\(i % 2).\(i) many.example.org\n" }
        file += "2001:db8::1 many.example.org\n2001:db8::2 many.example.org\n2001:db8::3 many.example.org\n"
        return try InProcessChain(corefile: ". {\n    \(loadbalance)\n    hosts hostsfile example.org\n}\n", files: ["hostsfile": file])
    }

    @Test("the order of an A RRset changes across queries; the set never does")
    func shufflesAddresses() throws {
        let chain = try Self.hostsChain()
        var orders: Set<[RData]> = []
        var sets: Set<Set<RData>> = []
        for _ in 0..<40 {
            let reply = try chain.query("many.example.org.", .a)
            #expect(reply.answers.count == 10)
            #expect(reply.answers.allSatisfy { $0.name == "many.example.org." && $0.type == .a })
            orders.insert(reply.answers.map(\.rdata))
            sets.insert(Set(reply.answers.map(\.rdata)))
        }
        #expect(orders.count > 1)
        #expect(sets.count == 1)
        let aaaa = try chain.query("many.example.org.", .aaaa)
        #expect(Set(aaaa.answers.map(\.rdata)).count == 3)
    }

    @Test("a CNAME stays first and the addresses it leads to are shuffled after it")
    func cnameFirst() throws {
        let zone = "$ORIGIN example.test.\n@ 60 IN SOA ns hm 1 2 3 4 5\nalias 60 IN CNAME target\n"
            + (1...8).map { "target 60 IN A 192.0.2.\($0)\n" }.joined()
        let chain = try InProcessChain(corefile: ". {\n    loadbalance\n    file db example.test\n}\n", files: ["db": zone])
        var orders: Set<[RData]> = []
        for _ in 0..<30 {
            let reply = try chain.query("alias.example.test.", .a)
            #expect(reply.answers.first?.type == .cname)
            #expect(reply.answers.dropFirst().allSatisfy { $0.type == .a && $0.name == "target.example.test." })
            #expect(Set(reply.answers.dropFirst().map(\.rdata)).count == 8)
            orders.insert(reply.answers.map(\.rdata))
        }
        #expect(orders.count > 1)
    }

    @Test("RRsets whose first owner is written out and the others compressed against it stay intact")
    func compressedOwners() throws {
        // Question a.example.; answers for b.example. (first owner "b" + pointer, then pointers
        // to it) and c.example., interleaved with other types.
        var message = Message.query(id: 7, name: "a.example.", type: .a)
        message.header.isResponse = true
        message.answers = (1...5).map { ResourceRecord(name: "b.example.", ttl: 30, rdata: .a(IPv4Address(10, 0, 0, UInt8($0)))) }
            + [ResourceRecord(name: "b.example.", ttl: 30, rdata: .txt([Array("x".utf8)]))]
            + (1...4).map { ResourceRecord(name: "c.example.", ttl: 30, rdata: .aaaa(IPv6Address(high: 0x2001_0db8_0000_0000, low: UInt64($0)))) }
        message.additionals = (1...3).map { ResourceRecord(name: "B.EXAMPLE.", ttl: 30, rdata: .a(IPv4Address(10, 1, 0, UInt8($0)))) }
        var wire = try #require(message.encoded())
        var random = Xoshiro256(seed: 42)
        var seen: Set<[RData]> = []
        for _ in 0..<20 {
            wire.withUnsafeMutableBytes { _ = ResponseShuffler.shuffle($0, length: $0.count, prefer: [], using: &random) }
            let parsed = try Message(parsing: wire)
            #expect(parsed.answers.map(\.name) == message.answers.map(\.name))
            #expect(parsed.answers.map(\.type) == message.answers.map(\.type))
            #expect(Set(parsed.answers[0..<5].map(\.rdata)) == Set(message.answers[0..<5].map(\.rdata)))
            #expect(parsed.answers[5] == message.answers[5])
            #expect(Set(parsed.answers[6...].map(\.rdata)) == Set(message.answers[6...].map(\.rdata)))
            #expect(Set(parsed.additionals.map(\.rdata)) == Set(message.additionals.map(\.rdata)))
            seen.insert(parsed.answers.map(\.rdata))
        }
        #expect(seen.count > 1)
    }

    @Test("two address RRsets side by side are shuffled each within itself")
    func adjacentSets() throws {
        var message = Message.query(id: 1, name: "q.example.", type: .ns)
        message.header.isResponse = true
        message.additionals = (1...4).map { ResourceRecord(name: "ns1.example.", ttl: 1, rdata: .a(IPv4Address(10, 0, 1, UInt8($0)))) }
            + (1...4).map { ResourceRecord(name: "ns2.example.", ttl: 1, rdata: .a(IPv4Address(10, 0, 2, UInt8($0)))) }
        var wire = try #require(message.encoded())
        var random = Xoshiro256(seed: 7)
        for _ in 0..<20 {
            wire.withUnsafeMutableBytes { _ = ResponseShuffler.shuffle($0, length: $0.count, prefer: [], using: &random) }
            let parsed = try Message(parsing: wire)
            for record in parsed.additionals {
                guard case .a(let address) = record.rdata else { Issue.record("not A"); continue }
                #expect(record.name == (address.octets.2 == 1 ? "ns1.example." : "ns2.example."))
            }
        }
    }

    @Test("prefer moves addresses in the listed networks first, in network order")
    func prefer() throws {
        let chain = try Self.hostsChain("loadbalance round_robin {\n        prefer 10.0.1.0/24 2001:db8::2/128\n    }")
        for _ in 0..<20 {
            let reply = try chain.query("many.example.org.", .a)
            let thirdOctets = reply.answers.compactMap { record -> UInt8? in
                if case .a(let a) = record.rdata { return a.octets.2 } else { return nil }
            }
            #expect(thirdOctets == [1, 1, 1, 1, 1, 0, 0, 0, 0, 0])
            let v6 = try chain.query("many.example.org.", .aaaa)
            #expect(v6.answers.first?.rdata == .aaaa(IPv6Address("2001:db8::2") ?? IPv6Address(high: 0, low: 0)))
        }
    }

    @Test("MX records of one RRset are shuffled too, by re-encoding")
    func mxAndNegative() throws {
        var message = Message.query(id: 3, name: "example.", type: .mx)
        message.header.isResponse = true
        message.answers = (1...6).map { ResourceRecord(name: "example.", ttl: 5, rdata: .mx(preference: UInt16($0), exchange: try! DomainName("mx\($0).example."))) }
        message.additionals = [ResourceRecord(name: "mx1.example.", ttl: 5, rdata: .a(IPv4Address(10, 9, 9, 9)))]
        let wire = try #require(message.encoded())
        let handler = LoadbalanceHandler(prefer: [])
        var random = Xoshiro256(seed: 99)
        var orders: Set<[RData]> = []
        for _ in 0..<20 {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
            defer { buffer.deallocate() }
            buffer.copyBytes(from: wire)
            var view = ResponseView(buffer: buffer, length: wire.count, limit: 4096)
            let count = ResponseShuffler.shuffle(buffer, length: view.length, prefer: [], using: &random)
            #expect(count == 6)
            handler.shuffleMX(&view, random: &random)
            let parsed = try Message(parsing: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<view.length]))
            #expect(Set(parsed.answers) == Set(message.answers))
            #expect(parsed.additionals == message.additionals)
            orders.insert(parsed.answers.map(\.rdata))
        }
        #expect(orders.count > 1)
    }

    @Test("responses other than NOERROR are left byte for byte as they are")
    func negativeUntouched() throws {
        var message = Message.query(id: 3, name: "a.example.", type: .a)
        message.header.isResponse = true
        message.rcode = .nameError
        message.additionals = (1...8).map { ResourceRecord(name: "a.example.", ttl: 5, rdata: .a(IPv4Address(10, 0, 0, UInt8($0)))) }
        let wire = try #require(message.encoded())
        let engine = QueryEngine(worker: WorkerContext(index: 0, workerCount: 1), ports: [])
        let request = Request(poolIndex: 0, storageSize: 512)
        let handler = LoadbalanceHandler(prefer: [])
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { buffer.deallocate() }
        for _ in 0..<10 {
            buffer.copyBytes(from: wire)
            var view = ResponseView(buffer: buffer, length: wire.count, limit: 4096)
            handler.responseWillBeSent(request, response: &view, engine: engine)
            #expect(Array(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<view.length])) == wire)
        }
    }

    @Test("malformed or truncated messages are walked safely and never grow")
    func malformed() throws {
        var random = Xoshiro256(seed: 1)
        var message = Message.query(id: 3, name: "a.example.", type: .a)
        message.header.isResponse = true
        message.answers = (1...5).map { ResourceRecord(name: "a.example.", ttl: 5, rdata: .a(IPv4Address(10, 0, 0, UInt8($0)))) }
        let wire = try #require(message.encoded())
        for cut in 0..<wire.count {
            var prefix = Array(wire[0..<cut])
            prefix.withUnsafeMutableBytes { _ = ResponseShuffler.shuffle($0, length: $0.count, prefer: [], using: &random) }
        }
        var generator = Xoshiro256(seed: 5)
        for _ in 0..<2000 {
            var noise = (0..<Int(generator.next() % 200)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if noise.count > 3 { noise[3] &= 0xF0 }
            noise.withUnsafeMutableBytes { _ = ResponseShuffler.shuffle($0, length: $0.count, prefer: [], using: &random) }
        }
        // A compression loop in an owner name.
        var loop: [UInt8] = [0, 1, 0x80, 0, 0, 0, 0, 2, 0, 0, 0, 0]
        loop += [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4]
        loop += [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 5, 6, 7, 8]
        loop.withUnsafeMutableBytes { _ = ResponseShuffler.shuffle($0, length: $0.count, prefer: [], using: &random) }
    }

    @Test("configuration: round_robin is the default; weighted is not supported yet; bad policies and CIDRs are errors")
    func config() throws {
        _ = try InProcessChain(corefile: ". {\n    loadbalance round_robin\n}\n")
        let cases: [(String, String)] = [
            ("loadbalance weighted w.txt", "Corefile:2: plugin/loadbalance: policy 'weighted' is not supported yet by ClusterDNS (round_robin is)"),
            ("loadbalance random", "Corefile:2: plugin/loadbalance: unknown policy 'random' — expected round_robin"),
            ("loadbalance round_robin extra", "Corefile:2: plugin/loadbalance: unknown property for round_robin: 'extra'"),
            ("loadbalance {\n        prefer 10.0.0.0/33\n    }", "Corefile:3: plugin/loadbalance: prefer: invalid CIDR '10.0.0.0/33'"),
            ("loadbalance {\n        reload 10s\n    }", "Corefile:3: plugin/loadbalance: unknown property 'reload'"),
        ]
        for (line, message) in cases {
            let error = #expect(throws: CorefileError.self) { try InProcessChain(corefile: ". {\n    \(line)\n}\n") }
            #expect(error?.description == message)
        }
    }
}
