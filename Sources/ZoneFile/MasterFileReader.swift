import ClusterDNSCSystem
import DNSWire

#if canImport(Glibc)
import Glibc
#endif

// Reading RFC 1035 master files through libldns.
//
// libldns (1.8.3) tokenizes and parses each record, `$ORIGIN` and `$TTL` included, but its
// zone reader gives up on `$INCLUDE` (LDNS_STATUS_SYNTAX_INCLUDE_ERR_NOTIMPL), and its record
// reader forgets the include's file name. So this reader drives `ldns_rr_new_frm_fp_l` itself,
// one entry at a time, over the file's bytes held in memory (`fmemopen`): the stream offsets
// before and after each call delimit the entry's text, which gives both the `$INCLUDE` operands
// and the line an entry starts on (for errors) without a second tokenizer.
//
// Included files are read with the includer's current origin (or the one the directive names)
// and TTL default; their own `$ORIGIN`/`$TTL` do not leak back (RFC 1035 §5.1). Relative paths
// are taken relative to the including file's directory, as CoreDNS (miekg/dns) does. Includes
// nest at most `maxIncludeDepth` deep and a file that includes itself, directly or not, is an
// error at the `$INCLUDE` line.

/// Reads the records of a master file and the files it includes, in file order.
struct MasterFileReader {
    /// As miekg/dns: deep enough for any real layout, shallow enough to stop runaway includes.
    static let maxIncludeDepth = 7

    private(set) var records: [SourceRecord] = []
    /// Every file read (the top one first), for reload checks.
    private(set) var files: [String] = []

    /// Reads `path` with `origin` as the initial `$ORIGIN`.
    /// - Parameters:
    ///   - defaultTTL: the TTL of records that give none, until a `$TTL` line says otherwise;
    ///     nil for a top-level file (then the last explicitly stated TTL applies, RFC 1035 §5.1,
    ///     and 3600 before any, as libldns does).
    ///   - stack: the resolved paths of the files including this one, for cycle detection.
    mutating func read(path: String, origin: DomainName, defaultTTL: UInt32?, stack: [String] = []) throws(ZoneFileError) {
        let content = try FileContents.read(path)
        files.append(path)
        guard !content.isEmpty else { return }
        let identity = FileContents.resolvedPath(path)
        let lines = LineTable(content)

        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: content.count, alignment: 1)
        defer { buffer.deallocate() }
        buffer.copyBytes(from: content)
        guard let stream = fmemopen(buffer.baseAddress, buffer.count, "r") else {
            throw ZoneFileError(file: path, line: 0, "cannot read: \(String(cString: strerror(errno)))")
        }
        defer { fclose(stream) }

        let cursor = try LDNSCursor(origin: origin, file: path)
        var ttl: UInt32 = defaultTTL ?? 3600
        var ttlFromDirective = defaultTTL != nil
        var lineNumber: Int32 = 1

        while feof(stream) == 0 {
            let before = ftell(stream)
            var rr: UnsafeMutablePointer<ldns_rr>? = nil
            let status = ldns_rr_new_frm_fp_l(&rr, stream, &ttl, &cursor.origin, &cursor.previous, &lineNumber)
            let after = ftell(stream)
            let start = lines.firstSignificantOffset(in: content, from: before, to: after)
            let line = lines.line(at: start)
            if status == LDNS_STATUS_OK {
                guard let rr else { continue }
                defer { ldns_rr_free(rr) }
                let record: ResourceRecord
                switch LDNSRecord.convert(rr) {
                case .success(let converted): record = converted
                case .failure(let reason): throw ZoneFileError(file: path, line: line, reason.message)
                }
                records.append(SourceRecord(record, file: path, line: line))
                // Without $TTL, a record with no TTL takes the last one stated (RFC 1035 §5.1).
                if !ttlFromDirective { ttl = record.ttl }
            } else if status == LDNS_STATUS_SYNTAX_EMPTY || status == LDNS_STATUS_SYNTAX_ORIGIN {
                continue
            } else if status == LDNS_STATUS_SYNTAX_TTL {
                let text = DollarDirective.text(content, from: start, to: after)
                guard DollarDirective.isValidTTL(text.operands.first) else {
                    throw ZoneFileError(file: path, line: line, "bad $TTL value '\(text.operands.first ?? "")'")
                }
                ttlFromDirective = true
            } else if status == LDNS_STATUS_SYNTAX_INCLUDE {
                let text = DollarDirective.text(content, from: start, to: after)
                try include(text.operands, at: line, from: path, identity: identity, cursor: cursor,
                            ttl: ttlFromDirective ? ttl : nil, stack: stack)
            } else if status == LDNS_STATUS_SYNTAX_DNAME_ERR && DollarDirective.text(content, from: start, to: after).keyword == "$ORIGIN" {
                throw ZoneFileError(file: path, line: line, "bad $ORIGIN name")
            } else {
                throw ZoneFileError(file: path, line: line, LDNSRecord.statusText(status))
            }
        }
    }

    /// Reads the file an `$INCLUDE` line names.
    private mutating func include(_ operands: [String], at line: Int, from path: String, identity: String,
                                  cursor: LDNSCursor, ttl: UInt32?, stack: [String]) throws(ZoneFileError) {
        guard let target = operands.first, !target.isEmpty else {
            throw ZoneFileError(file: path, line: line, "$INCLUDE needs a file name")
        }
        guard operands.count <= 2 else {
            throw ZoneFileError(file: path, line: line, "$INCLUDE takes a file name and an optional origin, found '\(operands[2])' too")
        }
        let chain = stack + [identity]
        guard chain.count <= MasterFileReader.maxIncludeDepth else {
            throw ZoneFileError(file: path, line: line, "$INCLUDE nested more than \(MasterFileReader.maxIncludeDepth) deep")
        }
        let includedPath = FileContents.join(FileContents.directory(of: path), target)
        if chain.contains(FileContents.resolvedPath(includedPath)) {
            throw ZoneFileError(file: path, line: line, "$INCLUDE cycle: \(includedPath) is already being read")
        }
        var origin = cursor.currentOrigin ?? .root
        if operands.count == 2 {
            do {
                let named = try DomainName(operands[1].hasSuffix(".") ? operands[1] : operands[1] + ".")
                origin = operands[1].hasSuffix(".") ? named : try named.appending(origin)
            } catch {
                throw ZoneFileError(file: path, line: line, "bad $INCLUDE origin '\(operands[1])': \(error)")
            }
        }
        do {
            try read(path: includedPath, origin: origin, defaultTTL: ttl, stack: chain)
        } catch let error where error.line == 0 && error.file == includedPath {
            // The included file itself is unreadable: say which line asked for it.
            throw ZoneFileError(file: path, line: line, "$INCLUDE \(target): \(error.message)")
        }
    }
}

/// The `$ORIGIN` and previous-owner state libldns threads through its record reader; freed with
/// this object.
final class LDNSCursor {
    var origin: UnsafeMutablePointer<ldns_rdf>?
    var previous: UnsafeMutablePointer<ldns_rdf>?

    init(origin name: DomainName, file: String) throws(ZoneFileError) {
        guard let rdf = ldns_dname_new_frm_str(name.description) else {
            throw ZoneFileError(file: file, line: 0, "origin '\(name)' is not a name libldns accepts")
        }
        origin = rdf
        previous = ldns_rdf_clone(rdf)
    }

    deinit {
        if let origin { ldns_rdf_deep_free(origin) }
        if let previous { ldns_rdf_deep_free(previous) }
    }

    /// The `$ORIGIN` in force now.
    var currentOrigin: DomainName? {
        guard let origin, let data = ldns_rdf_data(origin) else { return nil }
        let bytes = Array(UnsafeBufferPointer(start: data, count: ldns_rdf_size(origin)))
        return try? DomainName(wire: bytes)
    }
}

/// The text of a `$` directive line, as libldns consumed it.
enum DollarDirective {
    struct Text {
        var keyword: String
        var operands: [String]
    }

    /// Splits the directive starting at `from` into its keyword and operands, dropping a
    /// trailing comment; double quotes group an operand (a file name with spaces).
    static func text(_ content: [UInt8], from: Int, to: Int) -> Text {
        var words: [String] = []
        var current: [UInt8] = []
        var quoted = false
        var i = max(0, from)
        let end = min(to, content.count)
        func flush() {
            if !current.isEmpty { words.append(String(decoding: current, as: UTF8.self)) }
            current.removeAll()
        }
        while i < end {
            let c = content[i]
            if quoted {
                if c == UInt8(ascii: "\"") { quoted = false; flush() } else { current.append(c) }
            } else if c == UInt8(ascii: "\"") {
                quoted = true
            } else if c == UInt8(ascii: ";") || c == UInt8(ascii: "\n") {
                break
            } else if c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\r") {
                flush()
            } else {
                current.append(c)
            }
            i += 1
        }
        flush()
        guard let keyword = words.first else { return Text(keyword: "", operands: []) }
        return Text(keyword: keyword.uppercased(), operands: Array(words.dropFirst()))
    }

    /// A TTL as BIND writes it: seconds, or numbers with s/m/h/d/w units (`1h30m`).
    static func isValidTTL(_ text: String?) -> Bool {
        guard let text, !text.isEmpty else { return false }
        var digitsInRun = 0
        for c in text.lowercased().utf8 {
            if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                digitsInRun += 1
            } else if "smhdw".utf8.contains(c) && digitsInRun > 0 {
                digitsInRun = 0
            } else {
                return false
            }
        }
        return true
    }
}

/// Maps byte offsets of a file to 1-based line numbers.
struct LineTable {
    /// Offsets where each line starts.
    let starts: [Int]

    init(_ content: [UInt8]) {
        var starts = [0]
        for (i, byte) in content.enumerated() where byte == UInt8(ascii: "\n") { starts.append(i + 1) }
        self.starts = starts
    }

    /// The line holding `offset`.
    func line(at offset: Int) -> Int {
        var low = 0
        var high = starts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if starts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        return low + 1
    }

    /// The first offset in `from..<to` that is neither blank nor inside a comment: where the
    /// entry libldns read starts. `to` when there is none.
    func firstSignificantOffset(in content: [UInt8], from: Int, to: Int) -> Int {
        var i = max(0, from)
        let end = min(max(to, i), content.count)
        var inComment = false
        while i < end {
            let c = content[i]
            if inComment {
                if c == UInt8(ascii: "\n") { inComment = false }
            } else if c == UInt8(ascii: ";") {
                inComment = true
            } else if c != UInt8(ascii: " ") && c != UInt8(ascii: "\t") && c != UInt8(ascii: "\r") && c != UInt8(ascii: "\n") {
                return i
            }
            i += 1
        }
        return min(end, max(0, to))
    }
}
