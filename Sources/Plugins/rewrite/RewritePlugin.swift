import Corefile
import DNSWire

/// `rewrite`: rewrites the question name before the rest of the chain sees it, and maps the
/// answer back so the client sees its own question (CoreDNS's *rewrite*, `name` rules).
///
/// How: the handler matches the rules against the question name; on a match it resolves the
/// rewritten name through the plugins after it (`QueryEngine.startSubrequest(… .afterCurrent)`,
/// the same chain position CoreDNS's `Next` has), then writes the client's response itself: the
/// client's question byte for byte, the subrequest's rcode and AA/RA/AD flags, and its records
/// with names mapped back — owners by `answer auto` (always for exact rules) or `answer name`,
/// values (CNAME, NS, PTR, MX, SRV, SOA MNAME, DNAME targets) by `answer auto` or `answer value`.
/// A rewritten name that is not a valid domain name gets SERVFAIL, as in CoreDNS.
///
/// Cost: a query no rule matches is checked on a stack copy of its name and allocates nothing
/// (unless the block has regex rules, which Swift's Regex evaluates on a String). A rewritten
/// query allocates: it parses and rebuilds the response.
public final class RewritePlugin: PluginFactory, Sendable {
    public let name = "rewrite"
    public let rules: [NameRule]

    init(rules: [NameRule]) {
        self.rules = rules
    }

    public func makeHandler(worker: WorkerContext) -> (any PluginHandler)? {
        rules.isEmpty ? nil : RewriteHandler(rules: rules)
    }
}

/// How names in a response are mapped back, per rewrite that happened.
enum NameMapping {
    /// `answer auto` for non-suffix rules: the rewritten name (and names below it) back to the
    /// name before the rule.
    case remap(rewritten: String, original: String)
    /// `answer auto` for suffix rules: the suffix TO back to FROM.
    case suffix(rewritten: String, original: String)
    /// `answer name|value FROM TO`: rule index and position of the regex rewrite.
    case regex(rule: Int, index: Int, value: Bool)
}

/// What a suspended rewrite remembers for its response.
final class RewriteState {
    var ownerMappings: [NameMapping] = []
    var valueMappings: [NameMapping] = []
}

/// The `rewrite` plugin on one worker; holds the compiled regexes (Swift's Regex is per thread here).
final class RewriteHandler: PluginHandler {
    let rules: [NameRule]
    let matchers: [Regex<AnyRegexOutput>?]
    let answerNames: [[Regex<AnyRegexOutput>?]]
    let answerValues: [[Regex<AnyRegexOutput>?]]

    init(rules: [NameRule]) {
        self.rules = rules
        // Patterns were compiled once at setup, so these cannot fail; a nil would only disable the rule.
        matchers = rules.map { $0.match == .regex ? try? Regex($0.from) : nil }
        answerNames = rules.map { $0.answerNames.map { try? Regex($0.pattern) } }
        answerValues = rules.map { $0.answerValues.map { try? Regex($0.pattern) } }
    }

    func serve(_ request: Request, engine: QueryEngine) -> PluginResult {
        // Fast path: find the first rule that could apply, on a stack copy of the name.
        let first = NameText.withLowercasePresentation(request.questionName) { text -> Int? in
            for (i, rule) in rules.enumerated() where rule.match == .regex || rule.matches(text) { return i }
            return nil
        }
        guard let first else { return .next }

        var text = NameText.lowercasePresentation(request.questionName)
        let state = RewriteState()
        var rewritten = false
        for i in first..<rules.count {
            let rule = rules[i]
            let replaced = rule.match == .regex ? regexRewrite(text, rule: i) : rule.rewrite(text)
            guard let replaced else { continue }
            let before = String(decoding: text, as: UTF8.self)
            let after = String(decoding: replaced, as: UTF8.self)
            if rule.auto {
                let mapping: NameMapping = rule.match == .suffix
                    ? .suffix(rewritten: rule.to, original: rule.from) : .remap(rewritten: after, original: before)
                state.ownerMappings.append(mapping)
                state.valueMappings.append(mapping)
            }
            for k in rule.answerNames.indices { state.ownerMappings.append(.regex(rule: i, index: k, value: false)) }
            for k in rule.answerValues.indices { state.valueMappings.append(.regex(rule: i, index: k, value: true)) }
            text = replaced
            rewritten = true
            if rule.mode == .stop { break }
        }
        guard rewritten else { return .next }
        guard let name = try? DomainName(String(decoding: text, as: UTF8.self)) else {
            request.respond(rcode: .serverFailure)
            return .answered
        }
        request.pluginState = .rewrite(state)
        guard engine.startSubrequest(parent: request, name: name, type: request.questionType, entry: .afterCurrent) else {
            request.pluginState = .none
            request.respond(rcode: .serverFailure)
            return .answered
        }
        return .suspended
    }

    func subrequestCompleted(_ child: Request, parent: Request, engine: QueryEngine) {
        defer { engine.resume(parent, .answered) }
        guard case .rewrite(let state) = parent.pluginState, let message = try? Message(parsing: child.responseBytes) else {
            parent.pluginState = .none
            parent.respond(rcode: .serverFailure)
            return
        }
        parent.pluginState = .none
        let question = parent.questionDomainName
        guard parent.startResponse() else { return }
        parent.response.rcode = message.rcode
        parent.response.authoritative = message.header.authoritative
        parent.response.recursionAvailable = message.header.recursionAvailable
        parent.response.authenticData = message.header.authenticData
        let sections: [(ResponseBuilder.Section, [ResourceRecord])] = [
            (.answer, message.answers), (.authority, message.authorities), (.additional, message.additionals),
        ]
        for (section, records) in sections {
            parent.response.startSection(section)
            let mapped = records.map { map($0, state: state) }
            var start = 0
            while start < mapped.count {
                var end = start + 1
                while end < mapped.count && mapped[end].sameRRset(as: mapped[start]) { end += 1 }
                parent.response.beginRRset()
                for record in mapped[start..<end] {
                    let owner: ResponseBuilder.Owner = record.name == question ? .question : .name(record.name)
                    parent.response.append(owner: owner, type: record.type, ttl: record.ttl, rdata: record.rdata,
                                           recordClass: record.recordClass)
                }
                parent.response.endRRset()
                start = end
            }
        }
        parent.finishResponse()
    }

    // MARK: Rewriting

    /// The regex rule's replacement with `{N}` filled in, when its pattern matches `text`.
    func regexRewrite(_ text: [UInt8], rule index: Int) -> [UInt8]? {
        guard let regex = matchers[index] else { return nil }
        let string = String(decoding: text, as: UTF8.self)
        guard let result = RewriteHandler.replace(string, regex: regex, replacement: rules[index].to) else { return nil }
        return Array(result.utf8)
    }

    /// Go's FindStringSubmatch-then-substitute: nil when `regex` does not match `text`.
    static func replace(_ text: String, regex: Regex<AnyRegexOutput>, replacement: String) -> String? {
        guard let match = try? regex.firstMatch(in: text) else { return nil }
        var result = replacement
        for i in 0..<match.output.count {
            let group = match.output[i].substring.map(String.init) ?? ""
            result = result.split(separator: "{\(i)}", omittingEmptySubsequences: false).joined(separator: group)
        }
        return result
    }

    /// A response record with its owner and value names mapped back (CoreDNS applies the
    /// rules of the rewrites in reverse order).
    func map(_ record: ResourceRecord, state: RewriteState) -> ResourceRecord {
        var record = record
        if !state.ownerMappings.isEmpty { record.name = mapName(record.name, state.ownerMappings) }
        guard !state.valueMappings.isEmpty else { return record }
        switch record.rdata {
        case .cname(let target): record.rdata = .cname(mapName(target, state.valueMappings))
        case .ns(let target): record.rdata = .ns(mapName(target, state.valueMappings))
        case .ptr(let target): record.rdata = .ptr(mapName(target, state.valueMappings))
        case .mx(let preference, let exchange): record.rdata = .mx(preference: preference, exchange: mapName(exchange, state.valueMappings))
        case .srv(let priority, let weight, let port, let target):
            record.rdata = .srv(priority: priority, weight: weight, port: port, target: mapName(target, state.valueMappings))
        case .soa(var soa):
            soa.primaryNameServer = mapName(soa.primaryNameServer, state.valueMappings)
            record.rdata = .soa(soa)
        case .unknown(let bytes) where record.type == .dname:
            if let target = try? DomainName(wire: bytes) { record.rdata = .unknown(mapName(target, state.valueMappings).wire) }
        default:
            break
        }
        return record
    }

    func mapName(_ name: DomainName, _ mappings: [NameMapping]) -> DomainName {
        var text = name.lowercased().description
        for mapping in mappings.reversed() {
            switch mapping {
            case .remap(let rewritten, let original):
                if text == rewritten {
                    text = original
                } else if text.hasSuffix("." + rewritten) {
                    text = String(text.dropLast(rewritten.count)) + original
                }
            case .suffix(let rewritten, let original):
                if text.hasSuffix(rewritten) { text = String(text.dropLast(rewritten.count)) + original }
            case .regex(let rule, let index, let value):
                let regexes = value ? answerValues[rule] : answerNames[rule]
                let rewrite = value ? rules[rule].answerValues[index] : rules[rule].answerNames[index]
                if let regex = regexes[index], let replaced = RewriteHandler.replace(text, regex: regex, replacement: rewrite.replacement) {
                    text = replaced
                }
            }
        }
        return (try? DomainName(text)) ?? name
    }
}

/// The lowercase presentation text of a wire name (`www.example.org.`), escaped as
/// `DomainName.description` escapes it: what rewrite rules are matched against.
enum NameText {
    /// Longest text a 255-octet name can take (every octet as `\DDD`, plus dots).
    static let capacity = 1100

    /// Calls `body` with the text on the stack. Allocation-free.
    static func withLowercasePresentation<R>(_ wire: UnsafeRawBufferPointer, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
            let count = write(wire, into: buffer)
            return body(UnsafeBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    static func lowercasePresentation(_ wire: UnsafeRawBufferPointer) -> [UInt8] {
        withLowercasePresentation(wire) { Array($0) }
    }

    static func write(_ wire: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var n = 0
        func put(_ byte: UInt8) {
            if n < out.count { out[n] = byte }
            n += 1
        }
        var i = 0
        while i < wire.count, wire[i] != 0 {
            let length = Int(wire[i])
            guard i + length < wire.count else { break }
            for k in 1...length {
                let byte = WireName.lowercase(wire[i + k])
                switch byte {
                case UInt8(ascii: "."), UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "("), UInt8(ascii: ")"),
                     UInt8(ascii: ";"), UInt8(ascii: "@"), UInt8(ascii: "$"):
                    put(UInt8(ascii: "\\"))
                    put(byte)
                case 0x21...0x7E:
                    put(byte)
                default:
                    put(UInt8(ascii: "\\"))
                    put(UInt8(ascii: "0") + byte / 100)
                    put(UInt8(ascii: "0") + (byte / 10) % 10)
                    put(UInt8(ascii: "0") + byte % 10)
                }
            }
            put(UInt8(ascii: "."))
            i += 1 + length
        }
        if n == 0 { put(UInt8(ascii: ".")) }
        return min(n, out.count)
    }
}
