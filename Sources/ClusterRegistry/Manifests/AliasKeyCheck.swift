import CYaml

/// Finds an alias inside a mapping key, before the text reaches Yams.
///
/// Why: Yams checks every mapping for duplicate keys by hashing the keys, and a key's hash walks
/// the whole node. An alias is shared, not copied, when composed, so a key built from aliases of
/// aliases (`? *a8` where each level repeats the one below ten times) is small on disk and
/// astronomically large to hash: 60 lines took seven minutes of CPU before this check, with the
/// server's load stuck behind it. Kubernetes objects never have such keys (their keys are plain
/// field names), so such a document is refused with an issue instead.
///
/// The check walks libyaml's event stream once, in O(text) time and O(nesting) memory: aliases
/// are events there, never expanded. Text libyaml cannot parse returns nil; Yams then reports the
/// syntax error with its own position.
enum AliasKeyCheck {
    /// The 1-based line and column of the first alias used inside a mapping key, or nil.
    static func firstAliasInKey(_ text: String) -> (line: Int, column: Int)? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBufferPointer { buffer -> (line: Int, column: Int)? in
            guard let base = buffer.baseAddress else { return nil }
            yaml_parser_set_input_string(&parser, base, buffer.count)
            // One frame per open collection: whether it is a mapping, whether its next node is a
            // key, and whether the collection itself lies inside some key.
            var frames: [(mapping: Bool, nextIsKey: Bool, inKey: Bool)] = []
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
                guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
                defer { yaml_event_delete(&event) }
                switch event.type {
                case YAML_MAPPING_START_EVENT:
                    frames.append((true, true, nodeIsInKey()))
                case YAML_SEQUENCE_START_EVENT:
                    frames.append((false, false, nodeIsInKey()))
                case YAML_MAPPING_END_EVENT, YAML_SEQUENCE_END_EVENT:
                    _ = frames.popLast()
                case YAML_SCALAR_EVENT:
                    _ = nodeIsInKey()
                case YAML_ALIAS_EVENT:
                    if nodeIsInKey() {
                        return (Int(event.start_mark.line) + 1, Int(event.start_mark.column) + 1)
                    }
                case YAML_STREAM_END_EVENT:
                    return nil
                default:
                    break
                }
            }
        }
    }
}
