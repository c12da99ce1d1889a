/// Why `clusterdns node-cache` cannot start, worded for the person reading the pod's log.
package enum NodeCacheError: Error, Equatable, CustomStringConvertible {
    /// The template forwards to the cluster tier, and neither the environment nor `--cluster-dns` names it.
    case noClusterDNS
    /// A `<NAME>_SERVICE_HOST` (or `--cluster-dns`) value that is not an address.
    case badClusterDNS(variable: String, value: String)
    /// A file could not be read or written.
    case file(path: String, operation: String, reason: String)

    package var description: String {
        switch self {
        case .noClusterDNS:
            "the Corefile forwards to __PILLAR__CLUSTER__DNS__, but the cluster tier is unknown: set the Service's "
                + "<NAME>_SERVICE_HOST (kubelet injects it for --upstream-svc) or pass --cluster-dns IP[:PORT]"
        case .badClusterDNS(let variable, let value):
            "\(variable)=\(value) is not an IP address (or IP:PORT)"
        case .file(let path, let operation, let reason):
            "\(operation) \(path): \(reason)"
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// `strerror` text with the errno name a person can search for.
enum SystemErrorText {
    static func text(_ code: Int32) -> String {
        let message = strerror(code).map { String(cString: $0) } ?? "error \(code)"
        return "\(message) (errno \(code))"
    }
}
