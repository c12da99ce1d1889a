import DNSWire

/// A `log` plugin's rules in the shape the query path reads them: a few flat, immutable buffers of
/// plain values, so matching a name and writing a line touch no reference count and allocate
/// nothing (an array of enums with array payloads costs a retain and a release per field per query).
///
/// One instance per worker handler; never mutated after `init`.
final class CompiledLogRules {
    /// A field of a format, without payload: literals point into `bytes`.
    enum Op: UInt8 {
        case literal, type, name, queryClass, proto, size, remote, port, local, id, opcode, dnssecOK, bufferSize
        case rcode, responseSize, duration, responseFlags, responseClass, responseType, dash
    }

    struct Step {
        var op: Op
        /// For `.literal`: the text's place in `bytes`.
        var offset: Int32
        var length: Int32
    }

    struct Rule {
        var scopeOffset: Int
        var scopeLength: Int
        var logsAll: Bool
        /// Bit `LogClass.rawValue` set for each class logged.
        var classes: UInt8
        var needsClass: Bool
        var firstStep: Int
        var stepCount: Int
    }

    let rules: UnsafeMutableBufferPointer<Rule>
    let steps: UnsafeMutableBufferPointer<Step>
    /// Scopes (lowercase wire names) and literal texts, back to back.
    let bytes: UnsafeMutableRawBufferPointer

    init(_ source: [LogRule]) {
        var bytes: [UInt8] = []
        var steps: [Step] = []
        var rules: [Rule] = []
        for rule in source {
            let scopeOffset = bytes.count
            bytes += rule.scope.wire
            let firstStep = steps.count
            for field in rule.format.fields {
                steps.append(CompiledLogRules.step(field, bytes: &bytes))
            }
            var classes: UInt8 = 0
            for value in rule.classes { classes |= 1 << value.rawValue }
            rules.append(Rule(scopeOffset: scopeOffset, scopeLength: rule.scope.wire.count, logsAll: rule.logsAll,
                              classes: classes, needsClass: rule.format.needsResponseClass,
                              firstStep: firstStep, stepCount: steps.count - firstStep))
        }
        self.rules = .allocate(capacity: max(1, rules.count))
        _ = self.rules.initialize(from: rules)
        self.steps = .allocate(capacity: max(1, steps.count))
        _ = self.steps.initialize(from: steps)
        self.bytes = .allocate(byteCount: max(1, bytes.count), alignment: 8)
        self.bytes.copyBytes(from: bytes)
        ruleCount = rules.count
    }

    let ruleCount: Int

    deinit {
        rules.deallocate()
        steps.deallocate()
        bytes.deallocate()
    }

    static func step(_ field: LogFormat.Field, bytes: inout [UInt8]) -> Step {
        let op: Op
        switch field {
        case .literal(let text):
            let step = Step(op: .literal, offset: Int32(bytes.count), length: Int32(text.count))
            bytes += text
            return step
        case .type: op = .type
        case .name: op = .name
        case .queryClass: op = .queryClass
        case .proto: op = .proto
        case .size: op = .size
        case .remote: op = .remote
        case .port: op = .port
        case .local: op = .local
        case .id: op = .id
        case .opcode: op = .opcode
        case .dnssecOK: op = .dnssecOK
        case .bufferSize: op = .bufferSize
        case .rcode: op = .rcode
        case .responseSize: op = .responseSize
        case .duration: op = .duration
        case .responseFlags: op = .responseFlags
        case .responseClass: op = .responseClass
        case .responseType: op = .responseType
        case .metadata: op = .dash
        }
        return Step(op: op, offset: 0, length: 0)
    }

    /// The first rule whose scope is `name` or one of its ancestors.
    /// - Complexity: O(rules × name length). Allocation-free.
    @inline(__always)
    func match(_ name: UnsafeRawBufferPointer) -> Int? {
        for i in 0..<ruleCount {
            let rule = rules[i]
            if rule.scopeLength == 1 { return i }      // the root covers every name
            let scope = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[rule.scopeOffset..<(rule.scopeOffset + rule.scopeLength)])
            if ZoneMatch.offset(of: scope, in: name) != nil { return i }
        }
        return nil
    }

    /// Writes the line of rule `index` for `request` and its `response`. Allocation-free.
    func write(rule index: Int, request: Request, response: UnsafeRawBufferPointer, type: ResponseType,
               into line: inout LogLine) {
        let rule = rules[index]
        let hasHeader = response.count >= Header.size
        for s in rule.firstStep..<(rule.firstStep + rule.stepCount) {
            let step = steps[s]
            switch step.op {
            case .literal:
                line.append(UnsafeRawBufferPointer(start: bytes.baseAddress.map { $0 + Int(step.offset) }, count: Int(step.length)))
            case .type:
                line.appendType(request.query.type)
            case .name:
                line.appendName(request.questionName)
            case .queryClass:
                line.appendClass(request.query.queryClass)
            case .proto:
                line.append(request.route.transport == .tcp ? "tcp" : "udp")
            case .size:
                line.appendDecimal(UInt64(request.packet.count))
            case .remote:
                line.appendBracketed(request.route.peerAddress)
            case .port:
                line.appendDecimal(UInt64(request.route.peerPort))
            case .local:
                line.appendBracketed(request.route.localAddress)
            case .id:
                line.appendDecimal(UInt64(request.query.header.id))
            case .opcode:
                line.appendDecimal(UInt64(request.query.header.opcode.rawValue))
            case .dnssecOK:
                line.append(request.query.edns?.dnssecOK == true ? "true" : "false")
            case .bufferSize:
                if request.route.transport == .tcp {
                    line.append("65535")
                } else {
                    line.appendDecimal(UInt64(max(512, request.query.edns.map { Int($0.udpPayloadSize) } ?? 0)))
                }
            case .rcode:
                if hasHeader { line.appendRcode(Int(response[3] & 0x0F)) } else { line.append("-") }
            case .responseSize:
                line.appendDecimal(UInt64(response.count))
            case .duration:
                line.appendSeconds(nanoseconds: monotonicNanoseconds() &- request.receivedAt)
            case .responseFlags:
                if hasHeader { line.appendFlags(response[2], response[3]) } else { line.append("-") }
            case .responseClass:
                line.append(type.responseClass.name)
            case .responseType:
                line.append(type.name)
            case .dash:
                line.append("-")
            }
        }
    }
}
