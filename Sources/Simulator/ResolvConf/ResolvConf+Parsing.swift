import DNSWire

/// resolv.conf as each library reads it. The two parsers differ, and the differences matter:
/// glibc matches option words as prefixes and keeps only the first word of a `domain` line;
/// musl looks for `ndots:`, `attempts:` and `timeout:` anywhere on an `options` line, ignores
/// every other option and skips lines longer than 255 characters.
///
/// Sources: glibc `resolv/res_init.c` (`res_vinit_1`, `res_setoptions`); musl
/// `src/network/resolvconf.c` (`__get_resolv_conf`). `LOCALDOMAIN` and `RES_OPTIONS` from the
/// environment are not read: a simulation describes the file.
extension ResolvConf {
    /// Parses resolv.conf text as `resolver` would. Never fails: what the library would ignore
    /// is ignored here too, and reported in `warnings`.
    /// - Parameter source: the file name for warnings.
    package static func parse(_ text: String, source: String, resolver: StubResolverKind) -> ResolvConf {
        var conf = ResolvConf()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, rawLine) in lines.enumerated() {
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            let number = index + 1
            switch resolver {
            case .glibc: conf.parseGlibcLine(line, source: source, line: number)
            case .musl: conf.parseMuslLine(line, source: source, line: number)
            }
        }
        if conf.nameservers.count > 3 {
            conf.warn(source, 0, "\(conf.nameservers.count) nameservers: only the first 3 are used (MAXNS)")
        }
        return conf
    }

    /// Applies an `options` line's words (`ndots:2 timeout:1 single-request`), as from a pod's
    /// `dnsConfig.options` or `--options`.
    package mutating func apply(options text: String, source: String, resolver: StubResolverKind) {
        switch resolver {
        case .glibc: applyGlibcOptions(Substring(text), source: source, line: 0)
        case .musl: applyMuslOptions(Substring(text), source: source, line: 0)
        }
    }

    mutating func warn(_ source: String, _ line: Int, _ message: String) {
        warnings.append(ResolvConfWarning(source: source, line: line, message: message))
    }

    // MARK: glibc

    /// `MATCH(line, name)` of res_init.c: the keyword at the very start of the line, followed
    /// by a blank.
    static func keyword(_ line: Substring, _ name: String) -> Substring? {
        guard line.hasPrefix(name) else { return nil }
        let rest = line.dropFirst(name.count)
        guard let first = rest.first, first == " " || first == "\t" else { return nil }
        return rest
    }

    static func isBlank(_ c: Character) -> Bool { c == " " || c == "\t" }

    mutating func parseGlibcLine(_ line: Substring, source: String, line number: Int) {
        guard let first = line.first else { return }
        if first == ";" || first == "#" { return }
        if let rest = ResolvConf.keyword(line, "domain") {
            let word = rest.drop(while: ResolvConf.isBlank).prefix { !ResolvConf.isBlank($0) }
            guard !word.isEmpty else { return }
            search = [String(word)]
            return
        }
        if let rest = ResolvConf.keyword(line, "search") {
            let words = rest.split(whereSeparator: ResolvConf.isBlank).map(String.init)
            guard !words.isEmpty else { return }
            search = words
            return
        }
        if let rest = ResolvConf.keyword(line, "nameserver") {
            let word = String(rest.drop(while: ResolvConf.isBlank).prefix { !ResolvConf.isBlank($0) })
            let address = word.split(separator: "%", maxSplits: 1).first.map(String.init) ?? word
            if ResolvConf.isIPLiteral(address) {
                nameservers.append(address)
            } else {
                warn(source, number, "nameserver '\(word)' is not an IP address: ignored")
            }
            return
        }
        if ResolvConf.keyword(line, "sortlist") != nil { return }
        if let rest = ResolvConf.keyword(line, "options") {
            applyGlibcOptions(rest, source: source, line: number)
            return
        }
        if first == " " || first == "\t" {
            warn(source, number, "line starts with a blank: glibc ignores it")
        } else {
            warn(source, number, "unknown keyword '\(line.prefix { !ResolvConf.isBlank($0) })': ignored")
        }
    }

    /// `atoi`: optional sign, digits, anything after ignored; 0 when there are no digits.
    static func atoi(_ text: Substring) -> Int {
        var rest = text
        var negative = false
        if let sign = rest.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            rest = rest.dropFirst()
        }
        var value = 0
        for c in rest {
            guard let digit = c.wholeNumberValue, c.isASCII else { break }
            value = min(value * 10 + digit, 1_000_000)
        }
        return negative ? -value : value
    }

    mutating func applyGlibcOptions(_ text: Substring, source: String, line: Int) {
        for word in text.split(whereSeparator: ResolvConf.isBlank) {
            if word.hasPrefix("ndots:") {
                let value = ResolvConf.atoi(word.dropFirst(6))
                ndots = min(max(value, 0), 15)
                if value != ndots { warn(source, line, "\(word): glibc uses ndots:\(ndots) (limit 15)") }
            } else if word.hasPrefix("timeout:") {
                let value = ResolvConf.atoi(word.dropFirst(8))
                timeoutSeconds = min(max(value, 0), 30)
                if value > 30 { warn(source, line, "\(word): glibc caps the timeout at 30 s (RES_MAXRETRANS)") }
                if value <= 0 { warn(source, line, "\(word): glibc waits at least 1 s per try") }
            } else if word.hasPrefix("attempts:") {
                let value = ResolvConf.atoi(word.dropFirst(9))
                attempts = min(max(value, 1), 5)
                if value > 5 { warn(source, line, "\(word): glibc caps attempts at 5 (RES_MAXRETRY)") }
                if value < 1 { warn(source, line, "\(word): with no attempt glibc sends nothing; simulated as attempts:1") }
            } else if let match = ResolverOptions.glibcWords.first(where: { word.hasPrefix($0.word) }) {
                options.insert(match.flag)
                if match.word.count != word.count {
                    warn(source, line, "'\(word)' is read by glibc as '\(match.word)' (prefix match)")
                }
            } else {
                warn(source, line, "unknown option '\(word)': ignored by glibc")
            }
        }
    }

    // MARK: musl

    mutating func parseMuslLine(_ line: Substring, source: String, line number: Int) {
        // fgets into 256 bytes: a longer line is skipped whole rather than misread.
        if line.utf8.count + 1 > 255 {
            warn(source, number, "line longer than 255 characters: musl skips it")
            return
        }
        func keyword(_ name: String, length: Int) -> Substring? {
            guard line.hasPrefix(name) else { return nil }
            let rest = line.dropFirst(length)
            guard let c = rest.first, c.isWhitespace else { return nil }
            return rest
        }
        if let rest = keyword("options", length: 7) {
            applyMuslOptions(rest, source: source, line: number)
            return
        }
        if let rest = keyword("nameserver", length: 10) {
            let word = String(rest.drop(while: { $0.isWhitespace }).prefix { !$0.isWhitespace })
            if nameservers.count >= 3 {
                warn(source, number, "nameserver \(word): musl uses at most 3")
                return
            }
            if ResolvConf.isIPLiteral(word.split(separator: "%", maxSplits: 1).first.map(String.init) ?? word) {
                nameservers.append(word)
            } else {
                warn(source, number, "nameserver '\(word)' is not an IP address: ignored")
            }
            return
        }
        if let rest = keyword("domain", length: 6) ?? keyword("search", length: 6) {
            // musl keeps the whole rest of the line, even after `domain`, and splits it later.
            search = rest.split(whereSeparator: { $0.isWhitespace }).map(String.init)
            return
        }
        if let first = line.first, first != "#", first != ";", !line.allSatisfy(\.isWhitespace) {
            warn(source, number, "line ignored by musl")
        }
    }

    /// musl reads three numbers wherever they appear on the line (`strstr`) and nothing else.
    mutating func applyMuslOptions(_ text: Substring, source: String, line: Int) {
        func number(after key: String) -> Int? {
            guard let after = ResolvConf.suffix(of: text, after: key) else { return nil }
            let digits = after.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty else { return nil }
            return Int(digits.prefix(9)) ?? Int.max
        }
        if let value = number(after: "ndots:") {
            ndots = min(value, 15)
            if value > 15 { warn(source, line, "ndots:\(value): musl uses ndots:15") }
        }
        if let value = number(after: "attempts:") {
            attempts = min(max(value, 1), 10)
            if value > 10 { warn(source, line, "attempts:\(value): musl caps attempts at 10") }
            if value < 1 { warn(source, line, "attempts:0 divides by zero in musl's resend interval; simulated as attempts:1") }
        }
        if let value = number(after: "timeout:") {
            timeoutSeconds = min(value, 60)
            if value > 60 { warn(source, line, "timeout:\(value): musl caps the timeout at 60 s") }
        }
        for word in text.split(whereSeparator: { $0.isWhitespace }) {
            if word.hasPrefix("ndots:") || word.hasPrefix("attempts:") || word.hasPrefix("timeout:") { continue }
            warn(source, line, "option '\(word)' has no effect on musl")
        }
    }

    /// The text after the first occurrence of `key` (C's `strstr`).
    static func suffix(of text: Substring, after key: String) -> Substring? {
        var start = text.startIndex
        while start < text.endIndex {
            if text[start...].hasPrefix(key) { return text[start...].dropFirst(key.count) }
            start = text.index(after: start)
        }
        return nil
    }

    static func isIPLiteral(_ text: String) -> Bool { IPAddress(text) != nil }
}
