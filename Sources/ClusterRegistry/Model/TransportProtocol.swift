/// The protocol of a service or endpoint port; Kubernetes knows exactly these three.
///
/// It becomes the `_proto` label of SRV names (`_http._tcp.web.ns.svc.cluster.local.`).
public enum TransportProtocol: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case tcp
    case udp
    case sctp

    /// Parses the Kubernetes spelling (`TCP`, `UDP`, `SCTP`), which is case-sensitive in the API.
    public init?(kubernetesName: String) {
        switch kubernetesName {
        case "TCP": self = .tcp
        case "UDP": self = .udp
        case "SCTP": self = .sctp
        default: return nil
        }
    }

    /// `TCP`, as Kubernetes writes it.
    public var kubernetesName: String {
        switch self {
        case .tcp: "TCP"
        case .udp: "UDP"
        case .sctp: "SCTP"
        }
    }

    /// `tcp`, the SRV label without its underscore.
    public var srvLabel: String {
        switch self {
        case .tcp: "tcp"
        case .udp: "udp"
        case .sctp: "sctp"
        }
    }

    public var description: String { kubernetesName }
}
