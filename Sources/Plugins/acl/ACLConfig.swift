import Corefile
import DNSWire

/// `acl [ZONES...] { ACTION [type QTYPE...] [net SOURCE...] }`, as CoreDNS's *acl*.
///
/// ACTION is `allow`, `block` (REFUSED), `filter` (an empty NOERROR) or `drop` (no answer).
/// `type` lists query types (`*` for all, the default); `net` lists sources as `ADDRESS/LENGTH`
/// or a bare address (`*` for all, the default). Within one `acl`, the first matching line
/// decides; a query matching no line goes on to the next `acl` of the block (in Corefile order),
/// and one that none decides is allowed. ZONES default to the server block's.
public struct ACLConfig: Sendable, Equatable {
    public enum Action: Int, Sendable, Equatable, CaseIterable {
        case allow = 0, block, filter, drop

        init?(_ text: String) {
            switch text {
            case "allow": self = .allow
            case "block": self = .block
            case "filter": self = .filter
            case "drop": self = .drop
            default: return nil
            }
        }
    }

    /// One line of the block, precompiled for matching without allocation.
    public struct Policy: Sendable, Equatable {
        public var action: Action
        /// Query types the line applies to; empty means every type.
        public var types: [RecordType] = []
        /// IPv4 networks as (base, mask) in host order; with `v6` empty and both unrestricted
        /// when `anySource`.
        public var v4: [(base: UInt32, mask: UInt32)] = []
        public var v6: [(high: UInt64, low: UInt64, maskHigh: UInt64, maskLow: UInt64)] = []
        public var anySource = true

        public static func == (a: Policy, b: Policy) -> Bool {
            a.action == b.action && a.types == b.types && a.anySource == b.anySource
                && a.v4.elementsEqual(b.v4, by: { $0 == $1 })
                && a.v6.elementsEqual(b.v6, by: { $0 == $1 })
        }

        /// True when this line covers a query of `type` from `source`.
        /// - Complexity: O(types + networks). Allocation-free.
        @inline(__always)
        func matches(type: RecordType, source: IPAddress) -> Bool {
            if !types.isEmpty {
                var found = false
                for t in types where t == type { found = true; break }
                guard found else { return false }
            }
            if anySource { return true }
            switch ACLConfig.unmapped(source) {
            case .v4(let a):
                for net in v4 where a.rawValue & net.mask == net.base { return true }
            case .v6(let a):
                for net in v6 where a.high & net.maskHigh == net.high && a.low & net.maskLow == net.low { return true }
            }
            return false
        }
    }

    public var zones: [DomainName] = []
    public var policies: [Policy] = []

    public init() {}

    /// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, a v4 client on a dual-stack socket) as
    /// the IPv4 address it is, so `net 10.0.0.0/8` covers it.
    @inline(__always)
    static func unmapped(_ address: IPAddress) -> IPAddress {
        if case .v6(let a) = address, a.high == 0, a.low >> 32 == 0xFFFF {
            return .v4(IPv4Address(rawValue: UInt32(truncatingIfNeeded: a.low)))
        }
        return address
    }

    /// Reads one `acl` directive.
    /// - Throws: `CorefileError` at the directive or the offending line of its block.
    public static func parse(_ directive: Directive, in setup: BlockSetup) throws(CorefileError) -> ACLConfig {
        var config = ACLConfig()
        for text in try directive.zones(from: directive.arguments, orServerBlock: setup.zones.map(\.description)) {
            do {
                config.zones.append(try DomainName(text).lowercased())
            } catch {
                throw directive.error("'\(text)' is not a zone: \(error)")
            }
        }
        for line in directive.properties {
            guard let action = Action(line.name) else {
                throw line.error("unknown action '\(line.name)' (allow, block, filter or drop)")
            }
            var policy = Policy(action: action)
            var mode = ""
            for argument in line.arguments {
                switch argument.text {
                case "type", "net":
                    mode = argument.text
                    continue
                default:
                    break
                }
                switch mode {
                case "type":
                    if argument.text == "*" { continue }
                    guard let type = RecordType(mnemonic: argument.text) else {
                        throw line.error("unknown query type '\(argument.text)'", at: argument)
                    }
                    policy.types.append(type)
                case "net":
                    if argument.text == "*" { continue }
                    var text = argument.text
                    if !text.contains("/") { text += text.contains(":") ? "/128" : "/32" }
                    guard let prefix = AddressPrefix(text) else {
                        throw line.error("invalid network '\(argument.text)'", at: argument)
                    }
                    policy.anySource = false
                    switch prefix.network {
                    case .v4(let base, let mask): policy.v4.append((base, mask))
                    case .v6(let high, let low, let maskHigh, let maskLow): policy.v6.append((high, low, maskHigh, maskLow))
                    }
                default:
                    throw line.error("expected 'type' or 'net' before '\(argument.text)'", at: argument)
                }
            }
            // `net *` alongside networks still means every source.
            if line.arguments.contains(where: { $0.text == "*" }) && mode == "net" { policy.anySource = true }
            config.policies.append(policy)
        }
        return config
    }
}
