/// Cuts a manifest file into its YAML documents without parsing it, so that only documents
/// whose bytes changed are decoded again.
///
/// A document starts at a line beginning with the marker `---` followed by a space, a tab or
/// the line's end. YAML 1.2 (§9.1.2, `c-forbidden`) makes such a line a document boundary
/// wherever it appears — a quoted or block scalar cannot contain one — so the cut never falls
/// inside a document. Files that use what a cut cannot see through (a `%` directive, which
/// applies to the documents after it, or the `...` end marker) are kept whole.
enum ManifestDocuments {
    struct Chunk {
        var range: Range<Int>
        /// Newlines inside the chunk.
        var lines: Int
        /// A hash of the chunk's bytes (per-process seed; compared within one process only).
        var hash: UInt64
    }

    static func split(_ text: UnsafeBufferPointer<UInt8>) -> [Chunk] {
        var starts: [Int] = [0]
        var newlines: [Int] = [0]
        var i = 0
        let n = text.count
        var whole = false
        while i < n {
            // `i` is at the start of a line.
            let c = text[i]
            if c == UInt8(ascii: "-") || c == UInt8(ascii: "."),
               i + 2 < n, text[i + 1] == c, text[i + 2] == c, i + 3 == n || isBlankOrBreak(text[i + 3]) {
                if c == UInt8(ascii: ".") { whole = true; break }
                if i > 0 { starts.append(i); newlines.append(0) }
            } else if c == UInt8(ascii: "%") {
                whole = true
                break
            }
            // To the next line.
            while i < n && text[i] != UInt8(ascii: "\n") { i += 1 }
            if i < n {
                newlines[newlines.count - 1] += 1
                i += 1
            }
        }
        if whole {
            var lines = 0
            for b in text where b == UInt8(ascii: "\n") { lines += 1 }
            return [Chunk(range: 0..<n, lines: lines, hash: hash(UnsafeRawBufferPointer(text)))]
        }
        var chunks: [Chunk] = []
        chunks.reserveCapacity(starts.count)
        for (k, start) in starts.enumerated() {
            let end = k + 1 < starts.count ? starts[k + 1] : n
            let bytes = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(text)[start..<end])
            chunks.append(Chunk(range: start..<end, lines: newlines[k], hash: hash(bytes)))
        }
        return chunks
    }

    @inline(__always)
    private static func isBlankOrBreak(_ b: UInt8) -> Bool {
        b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") || b == UInt8(ascii: "\n") || b == UInt8(ascii: "\r")
    }

    private static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(bytes: bytes)
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }
}
