// libFuzzer entry point for the Kubernetes API source's JSON stream framer and parser. Built by
// Fuzz/run.sh from ClusterRegistry's sources and this file as one module.
//
// The first input octet picks the shape (watch stream or LIST body) and seeds the chunking; the
// rest is the body. What it checks, on every input (a violation is a trap, reported as a crash):
//  1. Neither `JSONStreamFramer.feed` nor `JSONNodeParser.parse` traps or reads out of bounds.
//  2. Chunk boundaries do not matter: the body fed in pseudo-random chunks (1 to 64 octets)
//     frames to exactly the values, items, members and error the body fed whole does — the
//     property a watch over TCP depends on, since the network splits it anywhere.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAPIStream(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: data == nil ? 0 : size)
    guard let control = input.first else { return 0 }
    let body = Array(input.dropFirst())
    let shape: JSONStreamFramer.Shape = control & 1 == 0 ? .stream : .list
    let whole = APIStreamFuzz.frame(body, shape: shape, chunking: nil)
    let chunked = APIStreamFuzz.frame(body, shape: shape, chunking: UInt64(control))
    if whole.outputs != chunked.outputs || whole.failed != chunked.failed {
        APIStreamFuzz.fail("chunking changed the framing of \(body.count) octets (shape \(shape)): "
            + "\(whole.outputs.count) outputs, failed \(whole.failed) whole; \(chunked.outputs.count), failed \(chunked.failed) chunked")
    }
    for output in whole.outputs {
        switch output {
        case .value(let bytes), .item(let bytes), .member(_, let bytes):
            _ = try? JSONNodeParser.parse(bytes)
        }
    }
    return 0
}

enum APIStreamFuzz {
    /// Feeds `body` whole (`chunking` nil) or in chunks whose sizes come from an xorshift
    /// generator seeded with `chunking`; stops at the first framing error.
    static func frame(_ body: [UInt8], shape: JSONStreamFramer.Shape, chunking: UInt64?)
        -> (outputs: [JSONStreamFramer.Output], failed: Bool) {
        var framer = JSONStreamFramer(shape: shape, maxValueBytes: 1 << 16)
        var outputs: [JSONStreamFramer.Output] = []
        var state = (chunking ?? 0) &* 0x9E37_79B9_7F4A_7C15 | 1
        var start = 0
        do {
            while start < body.count {
                var length = body.count - start
                if chunking != nil {
                    state ^= state << 13
                    state ^= state >> 7
                    state ^= state << 17
                    length = min(length, Int(state % 64) + 1)
                }
                try framer.feed(body[start..<(start + length)]) { outputs.append($0) }
                start += length
            }
        } catch {
            return (outputs, true)
        }
        return (outputs, false)
    }

    static func fail(_ what: String) -> Never {
        print("FUZZ INVARIANT VIOLATED: \(what)")
        preconditionFailure(what)
    }
}
