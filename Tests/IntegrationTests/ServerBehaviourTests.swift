import DNSWire
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The data plane's promises, checked against the real binary: TCP idle timeout and connection
/// cap, stalled clients not delaying others, reloads that keep the old chain on a bad Corefile,
/// and `bind`.
@Suite(.serialized) struct ServerBehaviourTests {
    @Test("a silent TCP connection is closed after the idle timeout")
    func idleTimeout() throws {
        let server = try ServerProcess(corefile: ".:{PORT} {\n    timeouts {\n        idle 1s\n    }\n    whoami\n}\n")
        var client = server.client
        client.timeout = .seconds(15)
        let connection = try client.connectTCP()
        // A query first, so the connection has been used, then silence.
        try connection.sendFrame(try #require(Message.query(id: 1, name: "a.example.", type: .a).encoded()))
        _ = try connection.readFrame()
        #expect(connection.waitForClose())
    }

    @Test("500 stalled TCP connections do not delay UDP or TCP clients")
    func stalledConnections() throws {
        let server = try ServerProcess(corefile: ".:{PORT} {\n    whoami\n}\n")
        var stalled: [TCPTestConnection] = []
        for i in 0..<500 {
            let connection = try server.client.connectTCP()
            // Half a frame: a length prefix promising 100 octets and 3 of them.
            try connection.sendRaw(i % 2 == 0 ? [0, 100, 1, 2, 3] : [0])
            stalled.append(connection)
        }
        for i in 0..<20 {
            #expect(try server.client.query("u\(i).example.", .a).rcode == .noError)
            #expect(try server.client.queryTCP("t\(i).example.", .a).rcode == .noError)
        }
        withExtendedLifetime(stalled) {}
    }

    @Test("at the connection cap the longest-idle connection is closed for a new one")
    func connectionCap() throws {
        let server = try ServerProcess(corefile: ".:{PORT} {\n    whoami\n}\n",
                                       arguments: ["--max-tcp-connections", "4"], workers: 1)
        var client = server.client
        client.timeout = .seconds(10)
        let oldest = try client.connectTCP()
        try oldest.sendFrame(try #require(Message.query(id: 1, name: "a.example.", type: .a).encoded()))
        _ = try oldest.readFrame()
        usleep(200_000)
        var others: [TCPTestConnection] = []
        for i in 0..<3 {
            let c = try client.connectTCP()
            try c.sendFrame(try #require(Message.query(id: UInt16(2 + i), name: "b.example.", type: .a).encoded()))
            _ = try c.readFrame()
            others.append(c)
        }
        // The fifth connection evicts the longest-idle one (the oldest) and is served.
        let newest = try client.queryTCP("c.example.", .a)
        #expect(newest.rcode == .noError)
        #expect(oldest.waitForClose())
        withExtendedLifetime(others) {}
    }

    @Test("SIGHUP reloads a good Corefile and keeps the running one when the new one is broken")
    func sighupReload() throws {
        let server = try ServerProcess(corefile: "example.org:{PORT} {\n    whoami\n}\n")
        #expect(try server.client.query("www.example.com.", .a).rcode == .refused)
        // A broken Corefile: the old configuration keeps serving, and the error is logged.
        try "example.org:\(server.port) {\n    whoami\n    bogus\n}\n".write(to: server.corefile, atomically: true, encoding: .utf8)
        server.signal(SIGHUP)
        #expect(ServerProcess.eventually { server.log.contains("reload failed") })
        #expect(server.log.contains("Corefile:3: unknown directive 'bogus'"))
        #expect(try server.client.query("www.example.org.", .a).rcode == .noError)
        #expect(try server.client.query("www.example.com.", .a).rcode == .refused)
        // A good one: the root zone is served from now on.
        try ".:\(server.port) {\n    whoami\n}\n".write(to: server.corefile, atomically: true, encoding: .utf8)
        server.signal(SIGHUP)
        #expect(try ServerProcess.eventually { try server.client.query("www.example.com.", .a).rcode == .noError })
        // Workers switch before the control thread logs the reload, so wait for the line too.
        #expect(ServerProcess.eventually { server.log.contains("reloaded configuration") })
    }

    @Test("the reload directive picks up an edited Corefile by itself")
    func reloadDirective() throws {
        let server = try ServerProcess(corefile: "example.org:{PORT} {\n    reload 2s 1s\n    whoami\n}\n")
        #expect(try server.client.query("www.example.com.", .a).rcode == .refused)
        try ".:\(server.port) {\n    reload 2s 1s\n    whoami\n}\n".write(to: server.corefile, atomically: true, encoding: .utf8)
        #expect(try ServerProcess.eventually(timeout: .seconds(15)) {
            try server.client.query("www.example.com.", .a).rcode == .noError
        })
    }

    @Test("a reload to a Corefile without reload stops the old Corefile watcher: later edits wait for SIGHUP")
    func reloadRemoved() throws {
        let server = try ServerProcess(corefile: "example.org:{PORT} {\n    reload 2s 1s\n    whoami\n}\n")
        // The watcher picks up a Corefile that drops `reload`.
        try "example.net:\(server.port) {\n    whoami\n}\n".write(to: server.corefile, atomically: true, encoding: .utf8)
        #expect(try ServerProcess.eventually(timeout: .seconds(15)) {
            try server.client.query("www.example.net.", .a).rcode == .noError
        })
        #expect(ServerProcess.eventually { server.log.contains("Corefile watcher off: no reload directive") })
        // An edit now is not picked up, however long the old interval (2s + 1s jitter) passes...
        try ".:\(server.port) {\n    whoami\n}\n".write(to: server.corefile, atomically: true, encoding: .utf8)
        #expect(try !ServerProcess.eventually(timeout: .seconds(8)) {
            try server.client.query("www.example.com.", .a).rcode == .noError
        })
        #expect(server.log.components(separatedBy: "reloaded configuration").count == 2)
        // ...until SIGHUP asks for it.
        server.signal(SIGHUP)
        #expect(try ServerProcess.eventually { try server.client.query("www.example.com.", .a).rcode == .noError })
    }

    @Test("bind limits the listen addresses")
    func bindAddresses() throws {
        let server = try ServerProcess(corefile: ".:{PORT} {\n    bind 127.0.0.2\n    whoami\n}\n")
        #expect(try DNSTestClient(host: "127.0.0.2", port: server.port).query("a.example.", .a).rcode == .noError)
        var other = DNSTestClient(host: "127.0.0.1", port: server.port)
        other.timeout = .milliseconds(500)
        #expect(throws: (any Error).self) { try other.query("a.example.", .a) }
    }

    @Test("a port held by another program is a clear startup error naming the address")
    func portInUse() throws {
        // A plain socket without SO_REUSEPORT holds the port, as another DNS server would.
        let port = ServerProcess.freePort()
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(bound == 0)
        let error = #expect(throws: ServerProcess.StartupError.self) {
            _ = try ServerProcess(corefile: ".:\(port) {\n    bind 127.0.0.1\n    whoami\n}\n")
        }
        #expect(error?.code == 1)
        #expect(error?.log.contains("127.0.0.1:\(port)") == true)
        #expect(error?.log.contains("EADDRINUSE") == true)
    }
}
