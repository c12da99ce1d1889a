/// The API resources DNS watches (all namespaces, as CoreDNS does).
///
/// No core/v1 Endpoints: the EndpointSlice mirroring controller turns hand-made Endpoints into
/// slices, so slices alone see every address (CoreDNS stopped watching Endpoints too).
public enum APIResource: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case services
    case endpointSlices = "endpointslices"
    case namespaces
    case pods

    public var description: String { rawValue }

    /// The collection's path.
    public var path: String {
        switch self {
        case .services: "/api/v1/services"
        case .endpointSlices: "/apis/discovery.k8s.io/v1/endpointslices"
        case .namespaces: "/api/v1/namespaces"
        case .pods: "/api/v1/pods"
        }
    }

    /// The kind of the items (list items come without `kind`, so the resource supplies it).
    public var kind: ObjectKind {
        switch self {
        case .services: .service
        case .endpointSlices: .endpointSlice
        case .namespaces: .namespace
        case .pods: .pod
        }
    }

    /// Extra query parameters every request for this resource carries: for pods, CoreDNS's
    /// filter, so finished pods never reach us (`pods verified` answers only live pods).
    var fixedQuery: [(String, String)] {
        switch self {
        case .pods: [("fieldSelector", "status.phase!=Succeeded,status.phase!=Failed,status.phase!=Unknown")]
        default: []
        }
    }
}

/// Percent-encodes query parameters as the API server expects (RFC 3986 unreserved characters
/// kept as they are, everything else escaped).
func encodeQuery(_ items: [(String, String)]) -> String {
    func escape(_ s: String) -> String {
        var out = ""
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(UnicodeScalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
    return items.map { escape($0.0) + "=" + escape($0.1) }.joined(separator: "&")
}
