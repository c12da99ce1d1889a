import Foundation
import Testing
import Yams
@testable import ClusterRegistry

/// The incremental JSON framer and parser the API source reads LIST and WATCH bodies with:
/// chunk boundaries never change what comes out, and malformed input is an error, not a trap.
@Suite struct JSONStreamTests {
    static let list = #"""
        {"kind":"ServiceList","apiVersion":"v1","metadata":{"resourceVersion":"1234","continue":"abc"},
         "items":[{"metadata":{"name":"a","namespace":"n","resourceVersion":"7"},"spec":{"clusterIP":"10.0.0.1","note":"a } ] { [ \" \\ quoted"}},
                  {"metadata":{"name":"b","namespace":"n"},"spec":{"ports":[{"port":53},{"port":5353}],"x":[[],{}]}}]}
        """#

    static func frame(_ text: String, shape: JSONStreamFramer.Shape, chunk: Int) throws -> [JSONStreamFramer.Output] {
        var framer = JSONStreamFramer(shape: shape)
        var out: [JSONStreamFramer.Output] = []
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            let end = min(bytes.count, i + chunk)
            try framer.feed(bytes[i..<end]) { out.append($0) }
            i = end
        }
        if shape == .list { #expect(framer.isComplete) }
        return out
    }

    @Test("a LIST body yields its items and members whatever the chunk size, 1 byte to all of it")
    func listAtEveryChunkSize() throws {
        let whole = try Self.frame(Self.list, shape: .list, chunk: Int.max / 2)
        #expect(whole.count == 5)
        let items = whole.compactMap { if case .item(let b) = $0 { return b } else { return nil } }
        #expect(items.count == 2)
        let first = try JSONNodeParser.parse(items[0])
        #expect(first.member("spec")?.member("note")?.text == #"a } ] { [ " \ quoted"#)
        for chunk in [1, 2, 3, 7, 64] {
            #expect(try Self.frame(Self.list, shape: .list, chunk: chunk) == whole)
        }
        let metadata = whole.compactMap { if case .member("metadata", let b) = $0 { return b } else { return nil } }
        #expect(try JSONNodeParser.parse(try #require(metadata.first)).member("resourceVersion")?.text == "1234")
    }

    @Test("a watch stream yields one value per event, with or without newlines, split anywhere")
    func watchStream() throws {
        let events = (0..<20).map { #"{"type":"ADDED","object":{"kind":"Service","metadata":{"name":"s\#($0)","resourceVersion":"\#($0 * 3)"}}}"# }
        let text = events.enumerated().map { $0.offset % 2 == 0 ? $0.element + "\n" : $0.element }.joined()
        for chunk in [1, 5, 13, 97, 10_000] {
            let out = try Self.frame(text, shape: .stream, chunk: chunk)
            #expect(out.count == 20)
            #expect(out.last == .value(Array(events[19].utf8)))
        }
    }

    @Test("structural garbage fails the stream with a message; an oversized value is refused")
    func malformed() {
        var framer = JSONStreamFramer(shape: .stream)
        #expect(throws: JSONFramingError.self) { try framer.feed(Array("]".utf8)) { _ in } }
        var list = JSONStreamFramer(shape: .list)
        #expect(throws: JSONFramingError.self) { try list.feed(Array(#"{"items":{"#.utf8)) { _ in } }
        var small = JSONStreamFramer(shape: .stream, maxValueBytes: 16)
        #expect(throws: JSONFramingError.self) { try small.feed(Array(#"{"a":"0123456789abcdef"}"#.utf8)) { _ in } }
    }

    @Test("the parser decodes escapes and surrogate pairs, keeps strings apart from null, skips managedFields")
    func parser() throws {
        let node = try JSONNodeParser.parse(Array(#"{"a":"x\n\u00e9\ud83d\ude00","b":null,"c":"null","n":-1.5e3,"t":true,"metadata":{"managedFields":[{"deep":[1,2,{"x":"y"}]}],"name":"z"}}"#.utf8))
        #expect(node.member("a")?.text == "x\né😀")
        #expect(ManifestNode.isNull(try #require(node.member("b"))))
        #expect(!ManifestNode.isNull(try #require(node.member("c"))))
        #expect(node.member("n")?.text == "-1.5e3")
        #expect(node.member("t")?.text == "true")
        #expect(node.member("metadata")?.member("managedFields") == nil)
        #expect(node.member("metadata")?.member("name")?.text == "z")
    }

    @Test("malformed values are errors with an offset: truncation, bad escapes, lone surrogates, excessive depth")
    func parserErrors() {
        for text in [#"{"a":"#, #"{"a":"\q"}"#, #"{"a":"\ud800"}"#, #"{"a" 1}"#, #"[1,]"#, #"{"a":1} x"#, #"tru"#,
                     String(repeating: "[", count: 100) + String(repeating: "]", count: 100)] {
            #expect(throws: JSONParseError.self, "\(text)") { try JSONNodeParser.parse(Array(text.utf8)) }
        }
    }
}
