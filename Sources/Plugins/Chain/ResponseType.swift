import DNSWire

/// What kind of answer a response is, as CoreDNS's `plugin/pkg/response` (`Typify`) sorts them.
/// Shared by the plugins that sort responses: `log` (its `class` filter and `{/log/type}`), `errors`
/// and `cache` (which store answers and denials apart).
public enum ResponseType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case noError, nameError, serverError, noData, delegation, meta, update, otherError

    public var description: String { "\(name)" }

    /// CoreDNS's names for the types.
    public var name: StaticString {
        switch self {
        case .noError: "NOERROR"
        case .nameError: "NXDOMAIN"
        case .serverError: "SERVERERROR"
        case .noData: "NODATA"
        case .delegation: "DELEGATION"
        case .meta: "META"
        case .update: "UPDATE"
        case .otherError: "OTHERERROR"
        }
    }

}
