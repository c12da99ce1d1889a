/// An RR CLASS. Open set; unknown values print as `CLASS123` (RFC 3597).
public struct RecordClass: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }

    @inlinable public static var `in`: RecordClass { RecordClass(rawValue: 1) }
    @inlinable public static var chaos: RecordClass { RecordClass(rawValue: 3) }
    @inlinable public static var hesiod: RecordClass { RecordClass(rawValue: 4) }
    @inlinable public static var none: RecordClass { RecordClass(rawValue: 254) }
    @inlinable public static var any: RecordClass { RecordClass(rawValue: 255) }

    public var description: String {
        switch self {
        case .in: "IN"
        case .chaos: "CH"
        case .hesiod: "HS"
        case .none: "NONE"
        case .any: "ANY"
        default: "CLASS\(rawValue)"
        }
    }

    /// Parses `IN`, `CH`, `HS`, `NONE`, `ANY` (any case) or `CLASSnnn`.
    public init?(mnemonic text: some StringProtocol) {
        switch text.uppercased() {
        case "IN": self = .in
        case "CH", "CHAOS": self = .chaos
        case "HS": self = .hesiod
        case "NONE": self = .none
        case "ANY": self = .any
        case let other:
            guard other.hasPrefix("CLASS"), let value = UInt16(other.dropFirst(5)) else { return nil }
            rawValue = value
        }
    }
}
