import Corefile
import DNSWire
@testable import Plugins

#if canImport(Glibc)
import Glibc
#endif

/// Test helpers shared by the log, errors, health, ready and prometheus tests.
enum OpsFixture {
    /// Runs every setup of a Corefile given as text.
    static func configure(_ text: String) throws(CorefileError) -> ServerConfiguration {
        let corefile = try Corefile.parse(text: text, fileName: "Corefile", baseDirectory: "/nonexistent-clusterdns-tests",
                                          options: CorefileParseOptions(environment: [:], checksServeConflicts: false))
        return try ServerConfiguration.build(corefile, manifestsDirectory: nil, baseDirectory: "/nonexistent-clusterdns-tests")
    }

    /// The message of the error configuring `text` raises, nil when it configures.
    static func error(_ text: String) -> String? {
        do {
            _ = try configure(text)
            return nil
        } catch {
            return error.description
        }
    }

    /// The first factory of type `T` in the first block of `text`.
    static func factory<T>(_ text: String, as type: T.Type = T.self) throws -> T? {
        try configure(text).blocks.first?.factories.compactMap { $0 as? T }.first
    }
}

/// Answers every query with `rcode`, optionally an A record and a SOA or NS record in authority.
final class FixedAnswerPlugin: PluginHandler {
    let rcode: ResponseCode
    let withAnswer: Bool
    let authority: RecordType?

    init(rcode: ResponseCode = .noError, withAnswer: Bool = true, authority: RecordType? = nil) {
        self.rcode = rcode
        self.withAnswer = withAnswer
        self.authority = authority
    }

    func serve(_ request: Request, engine: QueryEngine) -> PluginResult {
        guard request.startResponse() else { return .answered }
        request.response.rcode = rcode
        request.response.authoritative = true
        if withAnswer {
            request.response.beginRRset()
            request.response.append(owner: .question, type: .a, ttl: 30, rdata: .a(IPv4Address(192, 0, 2, 1)))
            request.response.endRRset()
        }
        if let authority {
            request.response.startSection(.authority)
            request.response.beginRRset()
            if authority == .soa {
                let soa = SOAData(primaryNameServer: "ns.example.org.", responsibleMailbox: "hostmaster.example.org.",
                                  serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: 30)
                request.response.append(owner: .name("example.org."), type: .soa, ttl: 30, rdata: .soa(soa))
            } else {
                request.response.append(owner: .name("example.org."), type: .ns, ttl: 30, rdata: .ns("ns.example.org."))
            }
            request.response.endRRset()
        }
        request.finishResponse()
        return .answered
    }
}

/// Fails every query the way a forwarder whose upstream timed out does.
final class FailingPlugin: PluginHandler {
    let reason: StaticString
    let detail: String?

    init(reason: StaticString = "upstream timed out", detail: String? = nil) {
        self.reason = reason
        self.detail = detail
    }

    func serve(_ request: Request, engine: QueryEngine) -> PluginResult {
        request.fail(reason, detail: detail)
        request.respond(rcode: .serverFailure)
        return .answered
    }
}

/// A `LogStream` writing into a pipe the test reads back.
final class CapturedStream {
    let stream: LogStream
    private let readEnd: Int32
    private let writeEnd: Int32

    init() {
        var fds: [Int32] = [0, 0]
        _ = pipe(&fds)
        _ = fcntl(fds[0], F_SETFL, O_NONBLOCK)
        readEnd = fds[0]
        writeEnd = fds[1]
        // Room for every test's output without the writer thread blocking on a full pipe.
        _ = fcntl(writeEnd, 1031, 1 << 20)  // F_SETPIPE_SZ (a GNU constant Glibc does not export)
        stream = LogStream(fd: writeEnd)
    }

    deinit {
        // Stop the stream's writer first: after `close()` it never touches the descriptor again.
        stream.close()
        Glibc.close(readEnd)
        Glibc.close(writeEnd)
    }

    /// Everything written so far, after flushing the stream.
    func text() -> String {
        stream.flush()
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    func lines() -> [String] {
        text().split(separator: "\n").map(String.init)
    }
}

extension LogRing {
    /// What the ring holds, consumed (tests only).
    func drainText() -> String {
        var bytes: [UInt8] = []
        consume { bytes += $0 }
        return String(decoding: bytes, as: UTF8.self)
    }
}
