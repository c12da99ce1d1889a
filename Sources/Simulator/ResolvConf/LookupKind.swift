import DNSWire

/// What the application asked its C library for; this decides which queries each candidate
/// name costs.
package enum LookupKind: Sendable, Hashable, CustomStringConvertible {
    /// `getaddrinfo` with `AF_UNSPEC`, what almost every program does: A and AAAA for each
    /// candidate name, sent together.
    case addresses
    /// `getaddrinfo` with `AF_INET` (`.a`) or `AF_INET6` (`.aaaa`): one query per name.
    case family(RecordType)
    /// `res_search(name, C_IN, type)`: SRV, TXT, MX… (glibc applies the search list; musl's
    /// `res_search` is `res_query`, the name as given only).
    case records(RecordType)

    /// Parses `--type`: `both` (the default), `A`, `AAAA`, or any other type mnemonic.
    package init?(argument text: String) {
        let upper = text.uppercased()
        switch upper {
        case "BOTH", "ANY-ADDRESS", "UNSPEC":
            self = .addresses
        case "A":
            self = .family(.a)
        case "AAAA":
            self = .family(.aaaa)
        default:
            guard let type = RecordType(mnemonic: upper), !type.isMetaType else { return nil }
            self = .records(type)
        }
    }

    /// The query types sent for each candidate name, in the order the resolver sends them.
    package var queryTypes: [RecordType] {
        switch self {
        case .addresses: [.a, .aaaa]
        case .family(let type), .records(let type): [type]
        }
    }

    /// True for `getaddrinfo` lookups (they return addresses and skip DNS for IP literals).
    package var isAddressLookup: Bool {
        switch self {
        case .addresses, .family: true
        case .records: false
        }
    }

    package var description: String {
        switch self {
        case .addresses: "both"
        case .family(let type), .records(let type): type.description
        }
    }

    /// The C call this lookup stands for, as the report prints it.
    package func call(name: String, resolver: StubResolverKind) -> String {
        switch self {
        case .addresses: "getaddrinfo(\"\(name)\", AF_UNSPEC)"
        case .family(let type): "getaddrinfo(\"\(name)\", \(type == .a ? "AF_INET" : "AF_INET6"))"
        case .records(let type): "res_search(\"\(name)\", C_IN, \(type))"
        }
    }
}
