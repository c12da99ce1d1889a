import CYaml
import Glibc

/// Composes YAML text into a `ManifestTree` in one pass over libyaml's event stream, with the
/// checks the manifest decoder depends on:
///
/// - **An alias inside a mapping key is refused** (a YAML bomb, never in a Kubernetes object):
///   it used to make Yams hash the alias's whole expansion to find duplicate keys, seven minutes
///   for 60 lines. Keys are no longer hashed as nodes here, but such a document is still refused
///   unread, at the alias's line.
/// - **Duplicate keys in a mapping are an error**, as Yams reported them: the scalar keys are
///   compared as text (the first occurrence of the first duplicate, in sorted order, is the place).
/// - **An alias must name an earlier anchor** (`found undefined alias`); anchors hold from their
///   node's end to the stream's end, as in Yams, so `&a [*a]` is undefined. An alias is the node
///   its anchor names, shared: fan-out costs nothing until the decoder reads it.
/// - Nesting deeper than libyaml's limit (1 000) is libyaml's syntax error; this composer keeps
///   its stacks on the heap, never recursing.
///
/// Syntax errors carry libyaml's problem, context and 1-based line and column, in the words Yams
/// used for them.
enum YAMLComposer {
    static let aliasInKeyMessage = "an alias inside a mapping key (not a Kubernetes manifest, and a YAML bomb: refused unread)"
    static let nullTag = "tag:yaml.org,2002:null"

    /// Every document root of `text`, in order, in one tree.
    static func compose(_ text: UnsafeBufferPointer<UInt8>) -> Result<(tree: ManifestTree, roots: [Int32]), ManifestSyntaxError> {
        // No bytes, no documents (libyaml wants a pointer even for no input).
        guard let base = text.baseAddress, !text.isEmpty else {
            return .success((ManifestTree(entries: [], bytes: [], children: []), []))
        }
        // Node numbers and byte offsets are 32-bit (a node takes at least a byte of text).
        guard text.count < Int(Int32.max) else {
            return .failure(ManifestSyntaxError(line: nil, column: nil, message: "cannot parse: larger than 2 GiB"))
        }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            return .failure(ManifestSyntaxError(line: nil, column: nil, message: "cannot parse: out of memory"))
        }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_input_string(&parser, base, text.count)

        var builder = ManifestTreeBuilder(capacityHint: text.count)
        var anchors: [String: Int32] = [:]
        // Per open collection: a mapping whose next node is a key, whether it lies inside a key,
        // and its anchor (registered when it ends).
        var frames: [(mapping: Bool, nextIsKey: Bool, inKey: Bool, anchor: String?)] = []
        func nodeIsInKey() -> Bool {
            guard let last = frames.indices.last else { return false }
            if frames[last].mapping {
                let isKey = frames[last].nextIsKey
                frames[last].nextIsKey.toggle()
                return isKey || frames[last].inKey
            }
            return frames[last].inKey
        }
        var event = yaml_event_t()
        while true {
            guard yaml_parser_parse(&parser, &event) == 1 else {
                return .failure(ManifestSyntaxError(parser: parser, text: text))
            }
            defer { yaml_event_delete(&event) }
            let line = Int(event.start_mark.line) + 1
            let column = Int(event.start_mark.column) + 1
            switch event.type {
            case YAML_SCALAR_EVENT:
                _ = nodeIsInKey()
                let scalar = event.data.scalar
                var mayBeNull = scalar.style == YAML_PLAIN_SCALAR_STYLE || scalar.style == YAML_ANY_SCALAR_STYLE
                if mayBeNull, let tag = scalar.tag, String(cString: tag) != nullTag { mayBeNull = false }
                let id = builder.scalar(
                    UnsafeBufferPointer(start: scalar.value, count: scalar.length), mayBeNull: mayBeNull, line: line, column: column)
                if let anchor = scalar.anchor { anchors[String(cString: anchor)] = id }
                builder.attach(id)
            case YAML_SEQUENCE_START_EVENT:
                frames.append((false, false, nodeIsInKey(), event.data.sequence_start.anchor.map { String(cString: $0) }))
                builder.begin(.sequence, line: line, column: column)
            case YAML_MAPPING_START_EVENT:
                frames.append((true, true, nodeIsInKey(), event.data.mapping_start.anchor.map { String(cString: $0) }))
                builder.begin(.mapping, line: line, column: column)
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                let frame = frames.popLast()
                let id = builder.end()
                if frame?.mapping == true, let duplicate = firstDuplicateKey(of: id, in: builder) {
                    return .failure(duplicate)
                }
                if let anchor = frame?.anchor { anchors[anchor] = id }
                builder.attach(id)
            case YAML_ALIAS_EVENT:
                if nodeIsInKey() {
                    return .failure(ManifestSyntaxError(line: line, column: column, message: aliasInKeyMessage))
                }
                guard let name = event.data.alias.anchor, let id = anchors[String(cString: name)] else {
                    return .failure(ManifestSyntaxError(line: line, column: column, message: "found undefined alias"))
                }
                builder.attach(id)
            case YAML_STREAM_END_EVENT:
                return .success(builder.finish())
            default:
                break  // stream and document starts and ends
            }
        }
    }

    /// The first duplicate among a mapping's scalar keys (sorted by text, as Yams sorted them),
    /// at its first occurrence, listing every duplicated key.
    private static func firstDuplicateKey(of mapping: Int32, in builder: ManifestTreeBuilder) -> ManifestSyntaxError? {
        guard builder.entry(mapping).count > 2 else { return nil }
        let keys = builder.scalarKeys(of: mapping)
        guard keys.count > 1 else { return nil }
        var duplicated: [ArraySlice<UInt8>: Int32] = [:]
        if keys.count <= 16 {
            // Small mappings (every Kubernetes object's): pairwise, no hashing.
            for i in keys.indices {
                let a = builder.bytes(of: keys[i])
                for j in (i + 1)..<keys.count where builder.bytes(of: keys[j]) == a {
                    if duplicated[a] == nil { duplicated[a] = keys[i] }
                }
            }
        } else {
            var first: [ArraySlice<UInt8>: Int32] = [:]
            first.reserveCapacity(keys.count)
            for key in keys {
                let text = builder.bytes(of: key)
                if let earlier = first[text] {
                    if duplicated[text] == nil { duplicated[text] = earlier }
                } else {
                    first[text] = key
                }
            }
        }
        guard !duplicated.isEmpty else { return nil }
        let sorted = duplicated.map { (text: String(decoding: $0.key, as: UTF8.self), id: $0.value) }.sorted { $0.text < $1.text }
        let place = builder.entry(sorted[0].id)
        return ManifestSyntaxError(
            line: Int(place.line), column: Int(place.column),
            message: "duplicate key(s) \(sorted.map(\.text).joined(separator: ", ")) in a mapping")
    }
}

extension ManifestSyntaxError {
    /// libyaml's error, in the words Yams used for it.
    init(parser: yaml_parser_t, text: UnsafeBufferPointer<UInt8>) {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown problem"
        switch parser.error {
        case YAML_READER_ERROR:
            // Yams counted characters, not bytes.
            let offset = min(parser.problem_offset, text.count)
            let characters = String(decoding: UnsafeBufferPointer(rebasing: text[..<offset]), as: UTF8.self).count
            self.init(line: nil, column: nil, message: "\(problem) at byte \(characters)")
        case YAML_SCANNER_ERROR, YAML_PARSER_ERROR, YAML_COMPOSER_ERROR:
            var message = problem
            if let context = parser.context {
                message += " (\(String(cString: context)) at line \(parser.context_mark.line + 1), column \(parser.context_mark.column + 1))"
            }
            self.init(line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1, message: message)
        case YAML_MEMORY_ERROR:
            self.init(line: nil, column: nil, message: "cannot parse: out of memory")
        default:
            self.init(line: nil, column: nil, message: "cannot parse: \(problem)")
        }
    }
}
