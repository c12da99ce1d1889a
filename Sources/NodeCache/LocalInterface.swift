import ClusterDNSCSystem
import DNSWire

#if canImport(Glibc)
import Glibc
#endif

/// The link that holds the node cache's addresses (`nodelocaldns` by default): a dummy
/// interface, created over rtnetlink (the C shim), not by running `ip`.
///
/// Addresses are added as /32 and /128 host addresses. The kernel installs a local route for each
/// as soon as it is added, so the link stays down as node-cache leaves it (IPv4); a link with an
/// IPv6 address is set up, because IPv6 addresses on a down link are not used.
///
/// Kernels without the dummy link type (CONFIG_DUMMY off, as in some microVM kernels) refuse it
/// with EOPNOTSUPP; an empty bridge then holds the addresses instead, which behaves the same for
/// local delivery, and the fallback is logged by the caller.
package struct LocalInterface: Sendable {
    package let name: String
    package let addresses: [IPAddress]

    package init(name: String, addresses: [IPAddress]) {
        self.name = name
        self.addresses = addresses
    }

    /// A netlink request the kernel refused.
    package struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        package let operation: String
        package let errno: Int32
        package var description: String {
            let hint = errno == EPERM ? " — the node cache needs CAP_NET_ADMIN" : ""
            return "\(operation): \(SystemErrorText.text(errno))\(hint)"
        }
    }

    /// What `ensure` found or did.
    package enum Outcome: Sendable, Equatable {
        /// The link was there; `addedAddresses` were missing and put back.
        case present(addedAddresses: Int)
        /// The link was created, of `kind` (`dummy`, or `bridge` where the kernel has no dummy).
        case created(kind: String)
    }

    /// The link's index, or nil when there is none of that name.
    package var index: UInt32? {
        let index = if_nametoindex(name)
        return index == 0 ? nil : index
    }

    /// Creates the link if it is missing, and adds whichever addresses it lacks.
    /// - Throws: `Failure` for the first request the kernel refused (the link may then exist
    ///   without all its addresses; the next `ensure` tries again).
    package func ensure() throws(Failure) -> Outcome {
        var created: String?
        if index == nil {
            var status = CSystem_netlink_add_link(name, "dummy")
            created = "dummy"
            if status == EOPNOTSUPP {
                status = CSystem_netlink_add_link(name, "bridge")
                created = "bridge"
            }
            // EEXIST: another writer made it between the lookup and now; use it.
            if status != 0 && status != EEXIST { throw Failure(operation: "create link \(name)", errno: status) }
        }
        guard let index else { throw Failure(operation: "find link \(name)", errno: ENODEV) }
        var added = 0
        for address in addresses {
            let status: Int32
            switch address {
            case .v4(let a):
                let bytes = a.rawValue.bigEndian
                status = withUnsafeBytes(of: bytes) { CSystem_netlink_add_address(index, AF_INET, $0.baseAddress, 32) }
            case .v6(let a):
                let bytes = (a.high.bigEndian, a.low.bigEndian)
                status = withUnsafeBytes(of: bytes) { CSystem_netlink_add_address(index, AF_INET6, $0.baseAddress, 128) }
            }
            if status == 0 {
                added += 1
            } else if status != EEXIST {
                throw Failure(operation: "add address \(address) to \(name)", errno: status)
            }
        }
        if addresses.contains(where: { if case .v6 = $0 { true } else { false } }) {
            let status = CSystem_netlink_set_link_up(index)
            if status != 0 { throw Failure(operation: "set link \(name) up", errno: status) }
        }
        if let created { return .created(kind: created) }
        return .present(addedAddresses: added)
    }

    /// Deletes the link, and with it its addresses and routes.
    /// - Returns: false when there was no link of that name.
    /// - Throws: `Failure` when the kernel refused.
    @discardableResult
    package func remove() throws(Failure) -> Bool {
        guard let index else { return false }
        let status = CSystem_netlink_delete_link(index)
        if status == ENODEV { return false }
        if status != 0 { throw Failure(operation: "delete link \(name)", errno: status) }
        return true
    }
}
