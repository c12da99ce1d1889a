import DNSWire
import Testing
@testable import Plugins

@Suite struct LogConfigTests {
    @Test("a bare log logs every name in the common format")
    func bare() throws {
        let plugin = try #require(try OpsFixture.factory(".:53 {\n log\n}\n", as: LogPlugin.self))
        #expect(plugin.config.rules == [LogRule(scope: .root)])
        #expect(plugin.config.isPrimary)
    }

    @Test("names, a format and class refinements; the block's classes apply to every name of the line")
    func namesFormatClasses() throws {
        let text = ".:53 {\n log example.org Example.NET \"{proto} {name}\" {\n  class denial\n  class error\n }\n}\n"
        let plugin = try #require(try OpsFixture.factory(text, as: LogPlugin.self))
        let expected: [DomainName] = ["example.org.", "example.net."]
        #expect(plugin.config.rules.map(\.scope) == expected)
        #expect(plugin.config.rules.allSatisfy { $0.classes == [.denial, .error] })
        #expect(plugin.config.rules[0].format == LogFormat("{proto} {name}"))
    }

    @Test("several log lines in a block become the first one's rules, in order; the others configure nothing")
    func severalLines() throws {
        let configuration = try OpsFixture.configure(".:53 {\n log example.org\n whoami\n log . {combined}\n}\n")
        let logs = configuration.blocks[0].factories.compactMap { $0 as? LogPlugin }
        #expect(logs.count == 2)
        #expect(logs[0].config.isPrimary)
        let expected: [DomainName] = ["example.org.", .root]
        #expect(logs[0].config.rules.map(\.scope) == expected)
        #expect(logs[0].config.rules[1].format == LogFormat(LogFormat.combined))
        #expect(!logs[1].config.isPrimary)
        #expect(logs[1].makeHandler(worker: WorkerContext(index: 0, workerCount: 1)) == nil)
    }

    @Test("a lone format argument is a format (CoreDNS would read it as a name)")
    func loneFormat() throws {
        let plugin = try #require(try OpsFixture.factory(".:53 {\n log {combined}\n}\n", as: LogPlugin.self))
        #expect(plugin.config.rules == [LogRule(scope: .root, format: LogFormat(LogFormat.combined))])
    }

    @Test("errors name the line and the plugin", arguments: [
        (".:53 {\n log {\n  class sometimes\n }\n}\n", "Corefile:3", "invalid class 'sometimes'"),
        (".:53 {\n log {\n  class\n }\n}\n", "Corefile:3", "at least 1 argument"),
        (".:53 {\n log {\n  format x\n }\n}\n", "Corefile:3", "unknown property 'format'"),
        (".:53 {\n log a..b\n}\n", "Corefile:2", "is not a domain name"),
    ])
    func errors(text: String, location: String, message: String) throws {
        let error = try #require(OpsFixture.error(text))
        #expect(error.contains(location))
        #expect(error.contains("plugin/log"))
        #expect(error.contains(message))
    }
}
