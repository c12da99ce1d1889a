import DNSWire
import Foundation
import Testing

/// The `loadbalance` plugin in the real server.
@Suite(.serialized) struct LoadbalanceTests {
    @Test("address order changes across queries, the set stays, a CNAME stays first")
    func shuffles() throws {
        let zone = "$ORIGIN example.test.\n@ 60 IN SOA ns hm 1 2 3 4 5\nalias 60 IN CNAME pool\n"
            + (1...8).map { "pool 60 IN A 192.0.2.\($0)\n" }.joined()
        let server = try ServerProcess(corefile: """
            .:{PORT} {
                loadbalance
                file db.example.test example.test
                hosts hosts.txt example.org
            }
            """, files: ["db.example.test": zone, "hosts.txt": (1...5).map { "10.0.0.\($0) many.example.org\n" }.joined()])
        var orders: Set<[RData]> = []
        for _ in 0..<30 {
            let reply = try server.client.query("many.example.org.", .a)
            #expect(Set(reply.answers.map(\.rdata)).count == 5)
            orders.insert(reply.answers.map(\.rdata))
        }
        #expect(orders.count > 1)
        var aliasOrders: Set<[RData]> = []
        for _ in 0..<30 {
            let reply = try server.client.query("alias.example.test.", .a)
            #expect(reply.answers.first?.type == .cname)
            #expect(reply.answers.count == 9)
            #expect(Set(reply.answers.dropFirst().map(\.rdata)).count == 8)
            aliasOrders.insert(reply.answers.map(\.rdata))
        }
        #expect(aliasOrders.count > 1)
    }
}
