import DNSWire
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized) struct ReadyTests {
    @Test("GET /ready answers 200 OK once the plugins are ready")
    func ready() throws {
        let http = ControlPorts.make(1)[0]
        let server = try ServerProcess(corefile: ".:{PORT} {\n    ready 127.0.0.1:\(http)\n    log\n    whoami\n}\n")
        let answer = try Curl.get("http://127.0.0.1:\(http)/ready")
        #expect(answer.status == 200)
        #expect(answer.body == "OK")
        _ = server
    }

    @Test("from SIGTERM on, through the lame duck, /ready answers 503 Shutting down")
    func shuttingDown() throws {
        let ports = ControlPorts.make(2)
        let server = try ServerProcess(corefile: """
            .:{PORT} {
                health 127.0.0.1:\(ports[0]) {
                    lameduck 3s
                }
                ready 127.0.0.1:\(ports[1])
                whoami
            }
            """)
        #expect(try Curl.get("http://127.0.0.1:\(ports[1])/ready").status == 200)
        server.signal(SIGTERM)
        let stopping = ServerProcess.eventually(timeout: .seconds(2)) {
            (try? Curl.get("http://127.0.0.1:\(ports[1])/ready"))?.body == "Shutting down"
        }
        #expect(stopping)
        #expect(try Curl.get("http://127.0.0.1:\(ports[1])/ready").status == 503)
        #expect(server.waitForExit(timeout: .seconds(15)) == 0)
    }

    @Test("after a reload /ready still answers on the same port")
    func reload() throws {
        let http = ControlPorts.make(1)[0]
        let server = try ServerProcess(corefile: ".:{PORT} {\n    ready 127.0.0.1:\(http)\n    whoami\n}\n")
        try (".:\(server.port) {\n    ready 127.0.0.1:\(http)\n    log\n    whoami\n}\n").write(to: server.corefile, atomically: true, encoding: .utf8)
        server.signal(SIGHUP)
        #expect(try ServerProcess.eventually { server.log.contains("reloaded configuration") })
        #expect(try Curl.get("http://127.0.0.1:\(http)/ready").status == 200)
    }
}
