import ClusterDNSCSystem
#if canImport(Glibc)
import Glibc
#endif

/// The host's interface addresses (`getifaddrs(3)`), for what a wildcard listener answers on
/// (the `kubernetes` plugin's NS glue).
public enum InterfaceAddresses {
    /// Every IPv4 address of an interface, host order, loopback (127/8) left out, each once, in
    /// the kernel's order. Empty when `getifaddrs` fails (`ENOMEM`, no netlink socket): the caller
    /// falls back to its own default.
    public static func ipv4() -> [UInt32] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return [] }
        defer { freeifaddrs(list) }
        var result: [UInt32] = []
        var cursor = list
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr, Int32(address.pointee.sa_family) == AF_INET else { continue }
            let raw = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt32(bigEndian: $0.pointee.sin_addr.s_addr) }
            if raw >> 24 != 127 && !result.contains(raw) { result.append(raw) }
        }
        return result
    }
}
