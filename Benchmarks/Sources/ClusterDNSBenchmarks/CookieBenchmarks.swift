import DNSWire
import Foundation
import Plugins

/// DNS cookies on the query path: the SipHash-2-4 core, the check of a returned cookie, and
/// whole queries through the engine with a client cookie and with a valid server cookie (the
/// latter next to `emptyAnswer`, which is the same query without a cookie). All must allocate
/// nothing: a flood of cookie queries is exactly what a spoofing attacker sends.
enum CookieBenchmarks {
    static let all: [Benchmark] = [sipHash32, cookieCheckValid, cookieClientOnly, cookieValid]

    static let secret = CookieSecret(hex: "e5e973e5a6b2a43f48e7dc849e37bfcf") ?? CookieSecret(k0: 1, k1: 2)
    static let client: [UInt8] = [0x24, 0x64, 0xc4, 0xab, 0xcf, 0x10, 0xc9, 0x57]

    static let sipHash32 = Benchmark(
        "sipHash32", "SipHash-2-4 over 32 octets, the longest cookie input (IPv6 client) (target: 0 mallocs)"
    ) {
        let input = Fixtures.stable((0..<32).map { UInt8($0) })
        let k0 = secret.k0, k1 = secret.k1
        return { blackHole(SipHash24.hash(input, k0: k0, k1: k1)) }
    }

    static let cookieCheckValid = Benchmark(
        "cookieCheckValid", "ServerCookie.check of a valid, fresh IPv4 cookie: one SipHash, echoed (target: 0 mallocs)"
    ) {
        let address = IPAddress.v4(IPv4Address(127, 0, 0, 1))
        let now = UInt32(Date().timeIntervalSince1970)
        let issued = client.withUnsafeBytes {
            ServerCookie.check(option: $0, address: address, now: now, current: secret, previous: nil).reply.bytes
        }
        let option = Fixtures.stable(issued)
        Fixtures.require(ServerCookie.check(option: option, address: address, now: now, current: secret, previous: nil).status == .valid,
                         "the issued cookie checks as valid")
        return { blackHole(ServerCookie.check(option: option, address: address, now: now, current: secret, previous: nil)) }
    }

    /// An engine with one plugin answering an empty NOERROR and the benchmark's secret.
    static func engineBody(option: (UnsafeRawBufferPointer) -> [UInt8]) -> () -> Void {
        let worker = WorkerContext(index: 0, workerCount: 1)
        let chain = ChainRuntime(zones: [.root], serverLabel: "dns://:53", names: ["empty"],
                                 handlers: [KubernetesBenchmarks.EmptyAnswer()])
        var table = ZoneTable()
        table.add(zone: .root, chain: chain)
        let engine = QueryEngine(worker: worker, ports: [(53, table)])
        engine.cookies = CookieSecrets(current: secret, previous: nil)
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_535, alignment: 16)
        let route = Route(transport: .udp, peerAddress: .v4(IPv4Address(127, 0, 0, 1)), peerPort: 40_000,
                          localAddress: .v4(IPv4Address(127, 0, 0, 1)), localPort: 53)
        func ask(_ cookie: [UInt8]) -> [UInt8] {
            let query = Message.query(id: 0x2B67, name: (try? DomainName("svc-31.ns-31.svc.cluster.local.")) ?? .root, type: .a,
                                      edns: EDNS(options: [EDNSOption(code: .cookie, data: cookie)]))
            let packet = Fixtures.stable(query.encoded() ?? [])
            guard case .reply(let n) = engine.handle(packet: packet, route: route, output: output) else { return [] }
            return Array(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(output)[0..<n]))
        }
        let first = (try? Message(parsing: ask(client)))?.edns?.option(.cookie)?.data ?? []
        Fixtures.require(first.count == 24, "the engine returns a server cookie")
        let cookie = client.withUnsafeBytes { option($0) }
        let reply = try? Message(parsing: ask(cookie))
        Fixtures.require(reply?.rcode == .noError && reply?.edns?.option(.cookie)?.data.count == 24,
                         "the cookie query is answered NOERROR with a cookie")
        let query = Message.query(id: 0x2B67, name: (try? DomainName("svc-31.ns-31.svc.cluster.local.")) ?? .root, type: .a,
                                  edns: EDNS(options: [EDNSOption(code: .cookie, data: cookie)]))
        let packet = Fixtures.stable(query.encoded() ?? [])
        return { blackHole(engine.handle(packet: packet, route: route, output: output)) }
    }

    static let cookieClientOnly = Benchmark(
        "cookieClientOnly", "The engine answering a query with a client cookie: a fresh server cookie attached (target: 0 mallocs)"
    ) {
        engineBody { Array($0) }
    }

    static let cookieValid = Benchmark(
        "cookieValid", "The engine answering a query with a valid server cookie: checked and echoed (target: 0 mallocs)"
    ) {
        engineBody { client in
            let now = UInt32(Date().timeIntervalSince1970)
            return ServerCookie.check(option: client, address: .v4(IPv4Address(127, 0, 0, 1)), now: now, current: secret,
                                      previous: nil).reply.bytes
        }
    }
}
