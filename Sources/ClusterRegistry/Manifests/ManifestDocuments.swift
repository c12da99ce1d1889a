import Glibc

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
        /// A hash of the chunk's bytes (`hash(_:)`), compared within one process only.
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
            // To the next line (memchr: a 5 MB file is re-cut on every edit).
            guard let base = text.baseAddress, let newline = memchr(base + i, 0x0A, n - i) else { break }
            i = base.distance(to: newline.assumingMemoryBound(to: UInt8.self)) + 1
            newlines[newlines.count - 1] += 1
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

    /// A 64-bit hash of `bytes`, 16 octets per step through a 64×64→128-bit multiply (the
    /// construction of wyhash), several times faster than the standard library's SipHash on
    /// the megabytes an edit makes the registry re-cut. It guards against accidental equality
    /// (a document counts as unchanged only if its length and this hash both match); manifests
    /// are the operator's own input, so it does not need SipHash's resistance to crafted
    /// collisions.
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let n = bytes.count
        var h: UInt64 = 0x243F_6A88_85A3_08D3 ^ UInt64(n)
        var i = 0
        while i + 16 <= n {
            let a = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let b = bytes.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self)
            h = mix(a ^ 0xA076_1D64_78BD_642F, b ^ h ^ 0xE703_7ED1_A0B4_28DB)
            i += 16
        }
        var a: UInt64 = 0
        var b: UInt64 = 0
        var k = 0
        while i + k < n {
            if k < 8 { a |= UInt64(bytes[i + k]) << UInt64(8 * k) } else { b |= UInt64(bytes[i + k]) << UInt64(8 * (k - 8)) }
            k += 1
        }
        h = mix(a ^ 0xA076_1D64_78BD_642F, b ^ h ^ 0xE703_7ED1_A0B4_28DB)
        return mix(h ^ 0x8EBC_6AF0_9C88_C6E3, UInt64(n) ^ 0x5899_65CC_7537_4CC3)
    }

    @inline(__always)
    private static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return product.high ^ product.low
    }
}
