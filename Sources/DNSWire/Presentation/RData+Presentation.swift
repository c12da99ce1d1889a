extension RData {
    /// The RDATA in master-file form as `dig` prints it; `.unknown` uses RFC 3597's `\# len hex`.
    public var presentation: String {
        switch self {
        case .a(let address): return address.description
        case .aaaa(let address): return address.description
        case .ns(let name), .cname(let name), .ptr(let name): return name.description
        case .soa(let s):
            return "\(s.primaryNameServer) \(s.responsibleMailbox) \(s.serial) \(s.refresh) \(s.retry) \(s.expire) \(s.minimum)"
        case .mx(let preference, let exchange): return "\(preference) \(exchange)"
        case .txt(let strings): return strings.map(RData.quoted).joined(separator: " ")
        case .srv(let priority, let weight, let port, let target): return "\(priority) \(weight) \(port) \(target)"
        case .unknown(let bytes):
            return bytes.isEmpty ? "\\# 0" : "\\# \(bytes.count) " + bytes.map(RData.hex).joined()
        }
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]], as: UTF8.self)
    }

    /// A character-string in double quotes with `"` and `\` escaped and other non-printables as `\DDD`.
    static func quoted(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case 0x20...0x7E:
                out.append(byte)
            default:
                out.append(UInt8(ascii: "\\"))
                out.append(UInt8(ascii: "0") + byte / 100)
                out.append(UInt8(ascii: "0") + (byte / 10) % 10)
                out.append(UInt8(ascii: "0") + byte % 10)
            }
        }
        out.append(UInt8(ascii: "\""))
        return String(decoding: out, as: UTF8.self)
    }
}

extension ResourceRecord: CustomStringConvertible {
    /// `name TTL CLASS TYPE RDATA`, tab-separated like dig's sections.
    public var description: String {
        "\(name)\t\(ttl)\t\(recordClass)\t\(type)\t\(rdata.presentation)"
    }
}

extension Question: CustomStringConvertible {
    /// `;name CLASS TYPE`, as in dig's QUESTION SECTION.
    public var description: String { ";\(name)\t\t\(questionClass)\t\(type)" }
}

extension EDNSOption: CustomStringConvertible {
    public var description: String {
        let hex = data.map(RData.hex).joined()
        switch code {
        case .cookie:
            guard let c = cookie else { return "; COOKIE: \(hex) (malformed)" }
            let server = c.server.map(RData.hex).joined()
            return "; COOKIE: \(c.client.map(RData.hex).joined())" + (server.isEmpty ? "" : " \(server)")
        case .padding:
            return "; PAD: (\(data.count) bytes)"
        case .clientSubnet:
            guard let ecs = clientSubnet else { return "; CLIENT-SUBNET: \(hex) (malformed)" }
            let address: String
            if ecs.family == 1 {
                let b = ecs.address + [UInt8](repeating: 0, count: max(0, 4 - ecs.address.count))
                address = IPv4Address(b[0], b[1], b[2], b[3]).description
            } else {
                address = IPv6Address(octets: ecs.address + [UInt8](repeating: 0, count: max(0, 16 - ecs.address.count))).description
            }
            return "; CLIENT-SUBNET: \(address)/\(ecs.sourcePrefixLength)/\(ecs.scopePrefixLength)"
        default:
            return "; \(code): \(hex)"
        }
    }
}

extension Message: CustomStringConvertible {
    /// The message laid out like `dig`'s output sections, for logs and test failures.
    public var description: String {
        var lines: [String] = []
        lines.append(";; ->>HEADER<<- opcode: \(header.opcode), status: \(rcode), id: \(header.id)")
        let flags = header.flagNames.joined(separator: " ")
        lines.append(";; flags: \(flags); QUERY: \(questions.count), ANSWER: \(answers.count), "
                     + "AUTHORITY: \(authorities.count), ADDITIONAL: \(additionals.count + (edns == nil ? 0 : 1))")
        if let edns {
            lines.append("")
            lines.append(";; OPT PSEUDOSECTION:")
            var flagText = edns.dnssecOK ? " do" : ""
            if edns.flags & ~EDNS.doMask != 0 { flagText += "; MBZ: 0x\(String(edns.flags & ~EDNS.doMask, radix: 16))" }
            lines.append("; EDNS: version: \(edns.version), flags:\(flagText); udp: \(edns.udpPayloadSize)")
            for option in edns.options { lines.append(option.description) }
        }
        if !questions.isEmpty {
            lines.append("")
            lines.append(";; QUESTION SECTION:")
            for question in questions { lines.append(question.description) }
        }
        for (title, records) in [("ANSWER", answers), ("AUTHORITY", authorities), ("ADDITIONAL", additionals)]
        where !records.isEmpty {
            lines.append("")
            lines.append(";; \(title) SECTION:")
            for record in records { lines.append(record.description) }
        }
        return lines.joined(separator: "\n")
    }
}
