import DNSWire
import Foundation
import Testing

/// DNS cookies (RFC 7873, RFC 9018) in the real server, checked with our client and with dig
/// and kdig, which implement cookies independently.
@Suite(.serialized) struct CookieTests {
    static let corefile = ".:{PORT} {\n    whoami\n}\n"
    static let clientCookie: [UInt8] = [0x24, 0x64, 0xc4, 0xab, 0xcf, 0x10, 0xc9, 0x57]

    static func cookieQuery(_ server: ServerProcess, option: [UInt8], host: String = "127.0.0.1") throws -> Message {
        var client = DNSTestClient(host: host, port: server.port)
        client.timeout = .seconds(3)
        return try client.query("example.org.", .a, edns: EDNS(options: [EDNSOption(code: .cookie, data: option)]))
    }

    /// A query with no question and only an OPT carrying `option` (RFC 7873 §5.4).
    static func emptyQuery(_ server: ServerProcess, option: [UInt8]) throws -> Message {
        var bytes: [UInt8] = [0x12, 0x34, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 1]
        bytes += [0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0]
        let length = 4 + option.count
        bytes += [UInt8(length >> 8), UInt8(length & 0xFF), 0, 10, 0, UInt8(option.count)] + option
        let reply = try #require(try server.client.exchangeRawUDP(bytes))
        return try Message(parsing: reply)
    }

    @Test("a client cookie gets itself back with a 16-octet server cookie, and that cookie is then accepted unchanged")
    func roundTrip() throws {
        let server = try ServerProcess(corefile: Self.corefile)
        let first = try Self.cookieQuery(server, option: Self.clientCookie)
        #expect(first.rcode == .noError)
        let cookie = try #require(first.edns?.option(.cookie)?.data)
        #expect(cookie.count == 24)
        #expect(Array(cookie.prefix(8)) == Self.clientCookie)
        #expect(cookie[8] == 1)
        #expect(cookie[9..<12] == [0, 0, 0])
        let second = try Self.cookieQuery(server, option: cookie)
        #expect(second.rcode == .noError)
        #expect(second.edns?.option(.cookie)?.data == cookie)
        #expect(second.answers.isEmpty && second.additionals.count == 2)
        // Over TCP too.
        let tcp = try server.client.queryTCP("example.org.", .a, edns: EDNS(options: [EDNSOption(code: .cookie, data: cookie)]))
        #expect(tcp.edns?.option(.cookie)?.data == cookie)
    }

    @Test("a server cookie made for another address is answered normally with a fresh cookie")
    func otherAddress() throws {
        let server = try ServerProcess(corefile: Self.corefile)
        let cookie = try #require(try Self.cookieQuery(server, option: Self.clientCookie).edns?.option(.cookie)?.data)
        #expect(try Self.cookieQuery(server, option: cookie).edns?.option(.cookie)?.data == cookie)
        // Sent from 127.0.0.2: the address is in the hash, so the cookie is not valid there.
        let moved = try ACLTests.SourceClient(source: "127.0.0.2", port: server.port)
            .query("example.org.", .a, edns: EDNS(options: [EDNSOption(code: .cookie, data: cookie)]))
        #expect(moved.rcode == .noError)
        let fresh = try #require(moved.edns?.option(.cookie)?.data)
        #expect(Array(fresh.prefix(8)) == Self.clientCookie)
        #expect(fresh != cookie)
    }

    @Test("a malformed COOKIE option gets FORMERR", arguments: [0, 7, 9, 15, 41])
    func malformed(length: Int) throws {
        let server = try ServerProcess(corefile: Self.corefile)
        let reply = try Self.cookieQuery(server, option: [UInt8](repeating: 0xAB, count: length))
        #expect(reply.rcode == .formatError)
    }

    @Test("a bad or stale server cookie is answered normally (NOERROR) with a fresh one", arguments: [16, 24, 40])
    func badServerCookie(length: Int) throws {
        let server = try ServerProcess(corefile: Self.corefile)
        let option = Self.clientCookie + [UInt8](repeating: 1, count: length - 8)
        let reply = try Self.cookieQuery(server, option: option)
        #expect(reply.rcode == .noError)
        let cookie = try #require(reply.edns?.option(.cookie)?.data)
        #expect(cookie.count == 24 && Array(cookie.prefix(8)) == Self.clientCookie && cookie != option)
    }

    @Test("a query without a question asks for a cookie: NOERROR with one, BADCOOKIE for an invalid one (RFC 7873 §5.4)")
    func emptyQuestion() throws {
        let server = try ServerProcess(corefile: Self.corefile)
        let learn = try Self.emptyQuery(server, option: Self.clientCookie)
        #expect(learn.rcode == .noError)
        #expect(learn.questions.isEmpty)
        let cookie = try #require(learn.edns?.option(.cookie)?.data)
        #expect(cookie.count == 24)
        let confirm = try Self.emptyQuery(server, option: cookie)
        #expect(confirm.rcode == .noError)
        var forged = cookie
        forged[23] ^= 0xFF
        let bad = try Self.emptyQuery(server, option: forged)
        #expect(bad.rcode == .badCookie)
        #expect(bad.edns?.option(.cookie)?.data.count == 24)
        // Without a cookie, a query with no question is still FORMERR.
        var bare: [UInt8] = [0x12, 0x34, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]
        bare[2] = 0
        let formerr = try #require(try server.client.exchangeRawUDP(bare))
        #expect(formerr[3] & 0x0F == 1)
    }

    @Test("replicas with the same secret accept each other's cookies; a rotated-out secret is still accepted")
    func sharedSecret() throws {
        let old = "e5e973e5a6b2a43f48e7dc849e37bfcf"
        let new = "445536bcd2513298075a5d379663c962"
        let a = try ServerProcess(corefile: ".:{PORT} {\n    cookie {\n        secret \(old)\n    }\n    whoami\n}\n")
        let b = try ServerProcess(corefile: ".:{PORT} {\n    cookie {\n        secret-file {DIR}/cookie.secret\n    }\n    whoami\n}\n",
                                  files: ["cookie.secret": "# current\n\(old)\n"])
        let c = try ServerProcess(corefile: ".:{PORT} {\n    cookie {\n        secret \(new) \(old)\n    }\n    whoami\n}\n")
        let d = try ServerProcess(corefile: ".:{PORT} {\n    cookie {\n        secret \(new)\n    }\n    whoami\n}\n")
        let cookie = try #require(try Self.emptyQuery(a, option: Self.clientCookie).edns?.option(.cookie)?.data)
        let atB = try Self.emptyQuery(b, option: cookie)
        #expect(atB.rcode == .noError)
        #expect(atB.edns?.option(.cookie)?.data == cookie)
        let atC = try Self.emptyQuery(c, option: cookie)
        #expect(atC.rcode == .noError)
        let renewed = try #require(atC.edns?.option(.cookie)?.data)
        #expect(renewed != cookie)
        #expect(try Self.emptyQuery(d, option: renewed).rcode == .noError)
        #expect(try Self.emptyQuery(d, option: cookie).rcode == .badCookie)
    }

    /// The server cookie's timestamp (octets 12–15 of the option).
    static func stamp(_ cookie: [UInt8]) -> UInt32 {
        UInt32(cookie[12]) << 24 | UInt32(cookie[13]) << 16 | UInt32(cookie[14]) << 8 | UInt32(cookie[15])
    }

    /// Sleeps until the wall clock is at least `second` (plus a margin).
    static func sleep(until second: UInt32) {
        let wait = Double(second) + 0.2 - Date().timeIntervalSince1970
        if wait > 0 { Thread.sleep(forTimeInterval: wait) }
    }

    @Test("the secret rotates by itself: a server cookie is accepted (and renewed) after one rotation, not after two")
    func rotation() throws {
        // Three-second epochs, so the test sees two rotations; the default is a day. Which epoch
        // the server was in is read from the cookie it returned (its timestamp), not guessed from
        // the test's own timing, so a slow machine retries instead of failing.
        let interval: UInt32 = 3
        let server = try ServerProcess(corefile: ".:{PORT} {\n    cookie {\n        rotate 3s\n    }\n    whoami\n}\n")
        var checkedOneRotation = false
        for _ in 0..<4 where !checkedOneRotation {
            let learn = try Self.emptyQuery(server, option: Self.clientCookie)
            #expect(learn.rcode == .noError)
            let cookie = try #require(learn.edns?.option(.cookie)?.data)
            let epoch = Self.stamp(cookie) / interval

            // One rotation later: valid (NOERROR to a question-less query), renewed.
            Self.sleep(until: (epoch + 1) * interval)
            let afterOne = try Self.emptyQuery(server, option: cookie)
            let renewed = try #require(afterOne.edns?.option(.cookie)?.data)
            guard Self.stamp(renewed) / interval == epoch + 1 else { continue }  // overslept: try again
            #expect(afterOne.rcode == .noError)
            #expect(Array(renewed.prefix(8)) == Self.clientCookie)
            #expect(renewed != cookie)

            // Two rotations after it was made: not valid. A question-less query gets BADCOOKIE
            // (RFC 7873 §5.4) with a fresh cookie; a query with a question is answered normally
            // with a fresh one; the cookie renewed one epoch ago is still valid.
            Self.sleep(until: (epoch + 2) * interval)
            let afterTwo = try Self.emptyQuery(server, option: cookie)
            #expect(afterTwo.rcode == .badCookie)
            let fresh = try #require(afterTwo.edns?.option(.cookie)?.data)
            #expect(Self.stamp(fresh) / interval >= epoch + 2)
            #expect(Array(fresh.prefix(8)) == Self.clientCookie && fresh != cookie)
            let answered = try Self.cookieQuery(server, option: cookie)
            #expect(answered.rcode == .noError)
            let refreshed = try #require(answered.edns?.option(.cookie)?.data)
            #expect(refreshed != cookie && Array(refreshed.prefix(8)) == Self.clientCookie)
            if Self.stamp(refreshed) / interval == epoch + 2 {
                #expect(try Self.emptyQuery(server, option: renewed).rcode == .noError)
            }
            checkedOneRotation = true
        }
        #expect(checkedOneRotation, "never queried within the epoch after the cookie's")
    }

    @Test("two replicas with the same secret rotate together: each accepts the other's cookie in a later epoch")
    func replicasRotateTogether() throws {
        let interval: UInt32 = 3
        let corefile = ".:{PORT} {\n    cookie {\n        secret e5e973e5a6b2a43f48e7dc849e37bfcf\n        rotate 3s\n    }\n    whoami\n}\n"
        let a = try ServerProcess(corefile: corefile)
        let b = try ServerProcess(corefile: corefile)
        var checked = false
        for _ in 0..<4 where !checked {
            let cookie = try #require(try Self.emptyQuery(a, option: Self.clientCookie).edns?.option(.cookie)?.data)
            let epoch = Self.stamp(cookie) / interval
            // The same epoch at b: echoed unchanged (b derived the same secret).
            let same = try Self.emptyQuery(b, option: cookie)
            guard let echoed = same.edns?.option(.cookie)?.data, Self.stamp(echoed) / interval == epoch else { continue }
            #expect(same.rcode == .noError)
            #expect(echoed == cookie)
            // The next epoch at b: accepted, renewed with the next secret, which a accepts too.
            Self.sleep(until: (epoch + 1) * interval)
            let next = try Self.emptyQuery(b, option: cookie)
            let renewed = try #require(next.edns?.option(.cookie)?.data)
            guard Self.stamp(renewed) / interval == epoch + 1 else { continue }
            #expect(next.rcode == .noError)
            #expect(renewed != cookie)
            let atA = try Self.emptyQuery(a, option: renewed)
            #expect(atA.rcode == .noError)
            checked = true
        }
        #expect(checked, "never queried both replicas within one epoch")
    }

    @Test("cookie off: the option is ignored, malformed or not")
    func off() throws {
        let server = try ServerProcess(corefile: ".:{PORT} {\n    cookie off\n    whoami\n}\n")
        let reply = try Self.cookieQuery(server, option: [1, 2, 3])
        #expect(reply.rcode == .noError)
        #expect(reply.edns?.option(.cookie) == nil)
    }

    @Test("a secret that is not 32 hex digits stops the server with the line")
    func badSecret() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cookie-\(getpid()).conf")
        try ".:1053 {\n    cookie {\n        secret abc\n    }\n    whoami\n}\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let (code, output) = try runTool(ServerProcess.binary, ["check", "--conf", file.path])
        #expect(code != 0)
        #expect(output.contains(":3") && output.contains("32 hex digits"))
    }

    @Test("dig +cookie sees its client cookie returned with a server cookie, and the server keeps it when dig sends it back",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/dig")))
    func dig() throws {
        let server = try ServerProcess(corefile: Self.corefile)
        let (code, output) = try runTool("/usr/bin/dig", ["@127.0.0.1", "-p", String(server.port), "example.org", "A",
                                                          "+cookie=2464c4abcf10c957", "+time=2", "+tries=1"])
        #expect(code == 0)
        let line = try #require(output.split(separator: "\n").first { $0.contains("COOKIE:") })
        // dig marks a reply whose client cookie matches what it sent as "(good)".
        #expect(line.contains("(good)"))
        let cookie = String(try #require(line.split(separator: " ").first { $0.count == 48 }))
        #expect(cookie.hasPrefix("2464c4abcf10c95701000000"))
        let (code2, output2) = try runTool("/usr/bin/dig", ["@127.0.0.1", "-p", String(server.port), "example.org", "A",
                                                            "+cookie=\(cookie)", "+time=2", "+tries=1"])
        #expect(code2 == 0)
        #expect(output2.contains("COOKIE: \(cookie) (good)"))
        #expect(output2.contains("status: NOERROR"))
    }

    @Test("kdig +cookie gets a server cookie back",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/kdig")))
    func kdig() throws {
        let server = try ServerProcess(corefile: Self.corefile)
        let (code, output) = try runTool("/usr/bin/kdig", ["@127.0.0.1", "-p", String(server.port), "example.org", "A",
                                                           "+cookie", "+time=2", "+retry=0"])
        #expect(code == 0)
        let line = try #require(output.split(separator: "\n").first { $0.contains("COOKIE:") })
        // kdig prints the client cookie and the server cookie; 8 + 16 octets in hex.
        #expect(line.replacingOccurrences(of: " ", with: "").count >= "COOKIE:".count + 48, "\(line)")
        #expect(output.contains("NOERROR"))
    }
}
