// libFuzzer entry point for the manifest decoder (YAML/JSON → stripped Kubernetes objects).
// Built by Fuzz/run.sh from ClusterRegistry's sources and this file as one module, linked
// against separately built DNSWire and Yams modules.
//
// What it checks, on every input (a violation is a trap, which libFuzzer reports as a crash):
//  1. Decoding never traps, never reads out of bounds, and returns: YAML bombs (deep nesting,
//     alias fan-out, huge scalars) end in an issue or a bounded result, not a hang (libFuzzer's
//     -timeout) or an out-of-memory (-rss_limit_mb).
//  2. Every issue names the file, and every decoded object has a non-empty name.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: data == nil ? 0 : size)
    let text = String(decoding: bytes, as: UTF8.self)
    let decoder = ManifestDecoder(interner: StringInterner())
    switch decoder.decode(text, file: "fuzz.yaml") {
    case .success(let decoded):
        for issue in decoded.issues where issue.file != "fuzz.yaml" {
            ManifestFuzz.fail("an issue that does not name the file: \(issue)")
        }
        for object in decoded.objects where object.identity.name.isEmpty {
            ManifestFuzz.fail("an object without a name: \(object.identity)")
        }
    case .failure(let error):
        if "\(error)".isEmpty { ManifestFuzz.fail("a syntax error without a message") }
    }
    return 0
}

enum ManifestFuzz {
    static func fail(_ what: String) -> Never {
        print("FUZZ INVARIANT VIOLATED: \(what)")
        preconditionFailure(what)
    }
}
