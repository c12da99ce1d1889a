// libFuzzer entry point for the Corefile lexer and parser. Built by Fuzz/run.sh together with
// the Corefile module's sources in one `swiftc -sanitize=fuzzer,address` invocation, so it needs
// no `import`.
//
// What it checks, on every input (a violation is a trap, which libFuzzer reports as a crash):
//  1. Parsing never traps, never reads out of bounds, and a rejected input has an error that
//     names a place (the Corefile is user input; an error without a location is useless).
//  2. What parses prints (`description`) to text that parses again to an equal Corefile.
// Imports resolve in a small tree held in memory (Fuzz/CorefileFuzzFileSystem.swift, compiled in
// place of the module's FileSystem.swift), so the fuzzer never reads the machine's files.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCorefile(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: data == nil ? 0 : size)
    let text = String(decoding: bytes, as: UTF8.self)
    let options = CorefileFuzz.options
    let first: Corefile
    do {
        first = try Corefile.parse(text: text, fileName: "Corefile", baseDirectory: FileSystem.root, options: options)
    } catch {
        CorefileFuzz.require(!error.description.isEmpty, "an error without a message")
        return 0
    }
    let printed = first.description
    do {
        let second = try Corefile.parse(text: printed, fileName: "Corefile", baseDirectory: FileSystem.root,
                                        options: options)
        CorefileFuzz.require(second == first, "round trip changed \(text.debugDescription) → \(printed.debugDescription)")
    } catch {
        CorefileFuzz.require(false, "printed form \(printed.debugDescription) of \(text.debugDescription) does not parse: \(error)")
    }
    return 0
}

enum CorefileFuzz {
    /// Built once: the same for every input.
    static let options = CorefileParseOptions(environment: ["X": "x", "Y": "v"])

    static func require(_ condition: @autoclosure () -> Bool, _ what: @autoclosure () -> String) {
        if !condition() {
            print("FUZZ INVARIANT VIOLATED: \(what())")
            preconditionFailure(what())
        }
    }
}
