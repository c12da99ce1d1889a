import ClusterDNSCSystem
import Testing

@testable import EventLoop

@Suite("Socket addresses and system errors")
struct SocketAddressTests {
    @Test("parses addresses with and without ports", arguments: [
        ("127.0.0.1:53", "127.0.0.1:53"),
        ("0.0.0.0", "0.0.0.0:53"),
        ("[::1]:5353", "[::1]:5353"),
        ("::1", "[::1]:53"),
        ("[::]", "[::]:53"),
        ("10.96.0.10:0", "10.96.0.10:0"),
        ("[fe80::1%1]:53", "[fe80::1%1]:53"),
        ("2001:db8::a:b", "[2001:db8::a:b]:53"),
    ])
    func parses(text: String, expected: String) throws {
        let address = try SocketAddress(parsing: text)
        #expect(address.description == expected)
        #expect(try SocketAddress(parsing: address.description) == address)
    }

    @Test("rejects malformed addresses with a message naming the text", arguments: [
        "", "localhost:53", "127.0.0.1:99999", "127.0.0.1:x", "[::1", "[::1]x", "300.1.1.1", "1.2.3.4%eth0", ":53",
    ])
    func rejects(text: String) {
        #expect(throws: SocketAddressParseError.self) { try SocketAddress(parsing: text) }
        do {
            _ = try SocketAddress(parsing: text)
        } catch {
            #expect(error.description.hasPrefix("invalid address \"\(text)\""))
        }
    }

    @Test("round-trips through sockaddr storage", arguments: ["127.0.0.1:53", "[::1]:8053", "[fe80::2%3]:1", "192.0.2.1:65535"])
    func roundTripsThroughSockaddr(text: String) throws {
        let address = try SocketAddress(parsing: text)
        var storage = address.sockaddrStorage
        let back = withUnsafePointer(to: &storage) {
            SocketAddress(sockaddr: UnsafeRawPointer($0), length: socklen_t(MemoryLayout<sockaddr_storage>.size))
        }
        #expect(back == address)
    }

    @Test("exposes IPv4 as a host-order integer and knows wildcards")
    func ipv4ValueAndWildcard() throws {
        #expect(try SocketAddress(parsing: "10.96.0.10").ipv4Value == 0x0A60_000A)
        #expect(SocketAddress.ipv4Any(port: 53).isWildcard)
        #expect(SocketAddress.ipv6Any(port: 53).isWildcard)
        #expect(!SocketAddress.ipv6Loopback(port: 53).isWildcard)
        #expect(SocketAddress.ipv6Loopback(port: 53).ipv4Value == nil)
    }

    @Test("a startup error reads like a sentence with the call, the subject, the errno name and a hint")
    func startupErrorDescription() {
        let error = SystemError(errno: EACCES, call: "bind")
            .with(subject: "0.0.0.0:53/udp", hint: SystemError.bindHint(errno: EACCES, port: 53))
        #expect(error.description == "bind(0.0.0.0:53/udp): Permission denied (EACCES) — run as root or grant CAP_NET_BIND_SERVICE")
        #expect(SystemError(errno: ENOBUFS, call: "sendmmsg").description == "sendmmsg: No buffer space available (ENOBUFS)")
    }

    @Test("binding a port another socket holds without SO_REUSEPORT fails with EADDRINUSE, the address and a hint")
    func addressInUse() throws {
        let holder = try Syscall.socket(domain: AF_INET, type: Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), protocol: 0)
        defer { Syscall.close(fd: holder) }
        try Syscall.bind(fd: holder, address: .ipv4Loopback(port: 0))
        try Syscall.listen(fd: holder, backlog: 1)
        let taken = try Syscall.getsockname(fd: holder)
        let worker = try Worker(index: 0)
        do {
            try worker.listenTCP(on: taken, handler: ReversingStreamHandler())
            Issue.record("binding a taken port succeeded")
        } catch {
            #expect(error.errno == EADDRINUSE)
            #expect(error.description.hasPrefix("bind(\(taken)/tcp): Address already in use (EADDRINUSE) — another process listens on port \(taken.port)"))
        }
    }
}
