import DNSWire
import Foundation
import Testing

/// The `any` plugin in the real server.
@Suite(.serialized) struct AnyTests {
    @Test("ANY gets the RFC 8482 HINFO over UDP and TCP; other types reach the next plugin")
    func hinfo() throws {
        let server = try ServerProcess(corefile: ".:{PORT} {\n    any\n    whoami\n}\n")
        for reply in [try server.client.query("example.org.", .any), try server.client.queryTCP("example.org.", .any)] {
            #expect(reply.rcode == .noError)
            #expect(reply.answers.count == 1)
            #expect(reply.answers.first?.type == .hinfo)
            #expect(reply.answers.first?.ttl == 8482)
            #expect(reply.answers.first?.rdata == .unknown([13] + Array("ANY obsoleted".utf8) + [12] + Array("See RFC 8482".utf8)))
        }
        let other = try server.client.query("example.org.", .a)
        #expect(other.additionals.first?.rdata == .a(IPv4Address(127, 0, 0, 1)))
    }
}
