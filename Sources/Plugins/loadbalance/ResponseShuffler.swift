import DNSWire

// Shuffling address RRsets inside a finished response, without re-encoding it.
//
// Records of one A (or AAAA) RRset all have RDATA of the same size (4 or 16 octets) and no names
// in it, so permuting just their RDATA permutes the RRset, and nothing else in the message moves:
// owner names stay where they are (whatever their encoding — the first owner may be written out
// and the others be pointers to it, which is why whole records are not swapped), no compression
// pointer can point into address RDATA, lengths and counts are unchanged. An RRset is a run of
// consecutive records with the same type, class and owner (compared through compression
// pointers, ignoring case). MX RDATA holds a name that later records may point into, so MX sets
// go through a slower path that parses and re-encodes the message (see LoadbalancePlugin).
//
// The walk bounds-checks every read and stops at the first malformed record, leaving the rest as
// it is: a response relayed from an upstream is never trusted to be well formed.

/// In-place shuffling of the A and AAAA RRsets of a DNS message.
enum ResponseShuffler {
    /// Longest run shuffled (a 64 KiB message holds at most this many address records).
    static let maxRun = 4096

    /// Shuffles every A/AAAA RRset of the answer, authority and additional sections of the
    /// NOERROR response `message[0..<length]`, then moves addresses in `prefer` networks first
    /// (in the order of the networks, stable within one).
    /// - Returns: the number of MX records met in runs of two or more in the answer section, so
    ///   the caller can decide to take the slow path for them.
    /// - Complexity: O(message length + run length × prefer count). Allocation-free.
    @discardableResult
    static func shuffle(_ message: UnsafeMutableRawBufferPointer, length: Int, prefer: [AddressPrefix],
                        using random: inout Xoshiro256) -> Int {
        guard length >= Header.size, length <= message.count else { return 0 }
        let bytes = UnsafeMutableRawBufferPointer(rebasing: message[0..<length])
        let questions = Int(bytes[4]) << 8 | Int(bytes[5])
        var offset = Header.size
        for _ in 0..<questions {
            guard let end = skipName(bytes, offset), end + 4 <= length else { return 0 }
            let qtype = UInt16(bytes[end]) << 8 | UInt16(bytes[end + 1])
            if qtype == RecordType.axfr.rawValue || qtype == RecordType.ixfr.rawValue { return 0 }
            offset = end + 4
        }
        var multipleMX = 0
        return withUnsafeTemporaryAllocation(of: Int32.self, capacity: maxRun) { run -> Int in
            for section in 0..<3 {
                let count = Int(bytes[6 + 2 * section]) << 8 | Int(bytes[7 + 2 * section])
                var runLength = 0
                var runType: UInt16 = 0
                var runClass: UInt16 = 0
                var runOwner = 0
                var mxRunOwner = -1
                var mxRunLength = 0
                for _ in 0..<count {
                    let owner = offset
                    guard let nameEnd = skipName(bytes, offset), nameEnd + 10 <= length else {
                        flush(bytes, run, runLength, width: runType == RecordType.a.rawValue ? 4 : 16, prefer: prefer, random: &random)
                        return multipleMX
                    }
                    let type = UInt16(bytes[nameEnd]) << 8 | UInt16(bytes[nameEnd + 1])
                    let rclass = UInt16(bytes[nameEnd + 2]) << 8 | UInt16(bytes[nameEnd + 3])
                    let rdlength = Int(bytes[nameEnd + 8]) << 8 | Int(bytes[nameEnd + 9])
                    let rdata = nameEnd + 10
                    guard rdata + rdlength <= length else {
                        flush(bytes, run, runLength, width: runType == RecordType.a.rawValue ? 4 : 16, prefer: prefer, random: &random)
                        return multipleMX
                    }
                    offset = rdata + rdlength
                    let isAddress = (type == RecordType.a.rawValue && rdlength == 4) || (type == RecordType.aaaa.rawValue && rdlength == 16)
                    if isAddress && runLength > 0 && type == runType && rclass == runClass && runLength < maxRun
                        && namesEqual(bytes, owner, runOwner) {
                        run[runLength] = Int32(rdata)
                        runLength += 1
                        continue
                    }
                    flush(bytes, run, runLength, width: runType == RecordType.a.rawValue ? 4 : 16, prefer: prefer, random: &random)
                    runLength = 0
                    if isAddress {
                        run[0] = Int32(rdata)
                        runLength = 1
                        runType = type
                        runClass = rclass
                        runOwner = owner
                    }
                    if section == 0 && type == RecordType.mx.rawValue {
                        if mxRunOwner >= 0 && namesEqual(bytes, owner, mxRunOwner) {
                            mxRunLength += 1
                            if mxRunLength == 2 { multipleMX += 2 } else if mxRunLength > 2 { multipleMX += 1 }
                        } else {
                            mxRunOwner = owner
                            mxRunLength = 1
                        }
                    }
                }
                flush(bytes, run, runLength, width: runType == RecordType.a.rawValue ? 4 : 16, prefer: prefer, random: &random)
            }
            return multipleMX
        }
    }

    /// Shuffles the RDATA blocks at the offsets in `run` (Fisher–Yates), then orders them by
    /// preferred network.
    static func flush(_ bytes: UnsafeMutableRawBufferPointer, _ run: UnsafeMutableBufferPointer<Int32>, _ count: Int,
                      width: Int, prefer: [AddressPrefix], random: inout Xoshiro256) {
        guard count > 1 else { return }
        var i = count - 1
        while i > 0 {
            let j = Int(random.next() % UInt64(i + 1))
            if j != i { swapBlocks(bytes, Int(run[i]), Int(run[j]), width: width) }
            i -= 1
        }
        guard !prefer.isEmpty else { return }
        // Stable insertion sort by the index of the first preferred network holding the address.
        for k in 1..<count {
            var m = k
            while m > 0 && rank(bytes, Int(run[m]), width: width, prefer) < rank(bytes, Int(run[m - 1]), width: width, prefer) {
                swapBlocks(bytes, Int(run[m]), Int(run[m - 1]), width: width)
                m -= 1
            }
        }
    }

    /// Index of the first network in `prefer` containing the address at `offset`; `prefer.count` for none.
    static func rank(_ bytes: UnsafeMutableRawBufferPointer, _ offset: Int, width: Int, _ prefer: [AddressPrefix]) -> Int {
        if width == 4 {
            let value = UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
            for (i, prefix) in prefer.enumerated() where prefix.contains(v4: value) { return i }
        } else {
            var high: UInt64 = 0
            var low: UInt64 = 0
            for k in 0..<8 { high = high << 8 | UInt64(bytes[offset + k]) }
            for k in 8..<16 { low = low << 8 | UInt64(bytes[offset + k]) }
            for (i, prefix) in prefer.enumerated() where prefix.contains(v6High: high, low: low) { return i }
        }
        return prefer.count
    }

    @inline(__always)
    static func swapBlocks(_ bytes: UnsafeMutableRawBufferPointer, _ a: Int, _ b: Int, width: Int) {
        for k in 0..<width { bytes.swapAt(a + k, b + k) }
    }

    /// The offset just after the (possibly compressed) name at `offset`, or nil when it runs
    /// past the message or uses a reserved label type.
    static func skipName(_ bytes: UnsafeMutableRawBufferPointer, _ offset: Int) -> Int? {
        var i = offset
        while i < bytes.count {
            let length = Int(bytes[i])
            if length == 0 { return i + 1 }
            if length & 0xC0 == 0xC0 { return i + 2 <= bytes.count ? i + 2 : nil }
            guard length & 0xC0 == 0 else { return nil }
            i += 1 + length
        }
        return nil
    }

    /// True when the names at `a` and `b` are equal ignoring ASCII case, following compression
    /// pointers (at most 127 jumps each, so a pointer loop ends as "not equal").
    static func namesEqual(_ bytes: UnsafeMutableRawBufferPointer, _ a: Int, _ b: Int) -> Bool {
        var i = a
        var j = b
        var hops = 0
        while hops < 256 {
            while i + 1 < bytes.count && bytes[i] & 0xC0 == 0xC0 {
                i = Int(bytes[i] & 0x3F) << 8 | Int(bytes[i + 1])
                hops += 1
                if hops >= 256 { return false }
            }
            while j + 1 < bytes.count && bytes[j] & 0xC0 == 0xC0 {
                j = Int(bytes[j] & 0x3F) << 8 | Int(bytes[j + 1])
                hops += 1
                if hops >= 256 { return false }
            }
            if i == j { return true }
            guard i < bytes.count, j < bytes.count else { return false }
            let length = Int(bytes[i])
            guard length == Int(bytes[j]), length <= 63 else { return false }
            if length == 0 { return true }
            guard i + length < bytes.count, j + length < bytes.count else { return false }
            for k in 1...length where WireName.lowercase(bytes[i + k]) != WireName.lowercase(bytes[j + k]) { return false }
            i += 1 + length
            j += 1 + length
            hops += 1
        }
        return false
    }
}
