import Testing
@testable import Plugins

@Suite struct LogFormatTests {
    @Test("the common format parses into CoreDNS's fields and literals")
    func commonFormat() {
        let format = LogFormat(LogFormat.common)
        #expect(format.fields == [
            .remote, .literal(Array(":".utf8)), .port, .literal(Array(" - ".utf8)), .id, .literal(Array(" \"".utf8)),
            .type, .literal([0x20]), .queryClass, .literal([0x20]), .name, .literal([0x20]), .proto, .literal([0x20]),
            .size, .literal([0x20]), .dnssecOK, .literal([0x20]), .bufferSize, .literal(Array("\" ".utf8)), .rcode,
            .literal([0x20]), .responseFlags, .literal([0x20]), .responseSize, .literal([0x20]), .duration,
        ])
    }

    @Test("{common} and {combined} expand; combined adds the opcode")
    func keywords() {
        #expect(LogFormat("{common}") == LogFormat(LogFormat.common))
        #expect(LogFormat("{combined}").fields.suffix(3) == [.literal(Array(" \"".utf8)), .opcode, .literal(Array("\"".utf8))])
        #expect(LogFormat("x {common} y").fields.first == .literal(Array("x ".utf8)))
    }

    @Test("unknown placeholders and stray braces stay literal text, as CoreDNS's replacer leaves them")
    func unknownPlaceholders() {
        #expect(LogFormat("A {foo} {type}").fields == [.literal(Array("A {foo} ".utf8)), .type])
        #expect(LogFormat("A } {name}").fields == [.literal(Array("A } ".utf8)), .name])
        #expect(LogFormat("{ {proto} }").fields == [.literal(Array("{ ".utf8)), .proto, .literal(Array(" }".utf8))])
        #expect(LogFormat("no placeholders").fields == [.literal(Array("no placeholders".utf8))])
    }

    @Test("{/log/class} and {/log/type} are fields; other metadata labels print a dash")
    func metadata() {
        let format = LogFormat("{proto} Request: {name} {type} {/log/class} {/log/type} {/kubernetes/client-namespace}")
        #expect(format.fields.contains(.responseClass))
        #expect(format.fields.contains(.responseType))
        #expect(format.fields.last == .metadata("kubernetes/client-namespace"))
        #expect(format.needsResponseClass)
        #expect(!LogFormat(LogFormat.common).needsResponseClass)
    }
}
