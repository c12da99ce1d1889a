import DNSWire
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `loop` against the real binary: a server that forwards to itself exits non-zero with a
/// message; one that forwards to a real upstream keeps serving.
@Suite(.serialized) struct LoopTests {
    @Test("a server forwarding to itself detects the loop and exits non-zero, naming the addresses")
    func detectsLoop() throws {
        let server = try ServerProcess(corefile: ".:{PORT} {\n    loop\n    forward . 127.0.0.1:{PORT}\n}\n", waitFor: false)
        let status = server.waitForExit(timeout: .seconds(30))
        #expect(status != nil && status != 0)
        let log = server.log
        #expect(log.contains("Loop ("))
        #expect(log.contains("-> 127.0.0.1:\(server.port)) detected for zone \".\""))
        #expect(log.contains("HINFO "))
        #expect(log.contains("forwards to 127.0.0.1:\(server.port)"))
    }

    @Test("a server forwarding to a real upstream keeps serving after the loop check")
    func noFalsePositive() throws {
        let nsd = try NSDProcess(zones: ["example.test": NSDProcess.exampleZone])
        let server = try ServerProcess(corefile: ".:{PORT} {\n    loop\n    forward . \(nsd.address)\n}\n")
        // The probe goes out 0.2 s after start and the check switches off 2 s after its answer.
        usleep(3_000_000)
        #expect(server.process.isRunning)
        var client = server.client
        client.timeout = .seconds(5)
        #expect(try client.query("www.example.test.", .a).rcode == .noError)
        #expect(!server.log.contains("Loop ("))
        // The probe itself reached NSD as a HINFO query below the root zone... and NSD refused or
        // answered it; either way the server did not see it come back.
        let hinfo = try client.query("x.example.test.", .hinfo)
        #expect(hinfo.rcode == .nameError)
    }
}
