import ClusterDNSCSystem

/// An IPv4 or IPv6 address with a port: where a socket is bound, where a datagram came from.
///
/// Why a plain value of integers rather than a wrapped `sockaddr_storage`: it is built for every received
/// datagram (the peer of a `UDPReplyTarget`), so it must be cheap to make, copy, compare and hash. The address
/// bytes are kept in network order exactly as they sit in `sin_addr`/`sin6_addr`.
public struct SocketAddress: Hashable, Sendable {
    /// The address family.
    public enum Family: Hashable, Sendable {
        case ipv4
        case ipv6
    }

    /// IPv4 or IPv6.
    public let family: Family
    /// The port, host byte order.
    public var port: UInt16
    /// The IPv6 scope (interface index) of a link-local address; 0 otherwise and for IPv4.
    public let scopeID: UInt32
    // The first and last 8 address bytes, as raw memory (network order). IPv4 uses the first 4 bytes of `high`.
    private let high: UInt64
    private let low: UInt64

    /// An IPv4 address from its four octets, e.g. `SocketAddress(ipv4: (127, 0, 0, 1), port: 53)`.
    public init(ipv4 octets: (UInt8, UInt8, UInt8, UInt8), port: UInt16) {
        var raw: UInt64 = 0
        withUnsafeMutableBytes(of: &raw) { bytes in
            bytes[0] = octets.0
            bytes[1] = octets.1
            bytes[2] = octets.2
            bytes[3] = octets.3
        }
        self.family = .ipv4
        self.port = port
        self.scopeID = 0
        self.high = raw
        self.low = 0
    }

    /// An IPv6 address from its sixteen bytes in network order.
    public init(ipv6 bytes: UnsafeRawBufferPointer, port: UInt16, scopeID: UInt32 = 0) {
        precondition(bytes.count == 16, "an IPv6 address has 16 bytes")
        self.family = .ipv6
        self.port = port
        self.scopeID = scopeID
        self.high = bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
        self.low = bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
    }

    /// The raw address words (network-order bytes), for building packet info without a detour.
    package var rawHigh: UInt64 { high }
    package var rawLow: UInt64 { low }

    package init(family: Family, high: UInt64, low: UInt64, port: UInt16, scopeID: UInt32) {
        self.family = family
        self.high = high
        self.low = low
        self.port = port
        self.scopeID = scopeID
    }

    /// `0.0.0.0` (port `port`).
    public static func ipv4Any(port: UInt16) -> SocketAddress { SocketAddress(ipv4: (0, 0, 0, 0), port: port) }
    /// `127.0.0.1` (port `port`).
    public static func ipv4Loopback(port: UInt16) -> SocketAddress { SocketAddress(ipv4: (127, 0, 0, 1), port: port) }
    /// `::` (port `port`).
    public static func ipv6Any(port: UInt16) -> SocketAddress { SocketAddress(family: .ipv6, high: 0, low: 0, port: port, scopeID: 0) }
    /// `::1` (port `port`).
    public static func ipv6Loopback(port: UInt16) -> SocketAddress {
        var low: UInt64 = 0
        withUnsafeMutableBytes(of: &low) { $0[7] = 1 }
        return SocketAddress(family: .ipv6, high: 0, low: low, port: port, scopeID: 0)
    }

    /// True for `0.0.0.0` and `::`: a socket bound there needs packet info to answer from the right address.
    public var isWildcard: Bool { high == 0 && low == 0 }

    /// The same address with another port.
    public func with(port: UInt16) -> SocketAddress {
        var copy = self
        copy.port = port
        return copy
    }

    /// The IPv4 address as a host-order integer (`127.0.0.1` is `0x7F00_0001`); `nil` for IPv6.
    public var ipv4Value: UInt32? {
        guard family == .ipv4 else { return nil }
        return UInt32(bigEndian: UInt32(truncatingIfNeeded: high))
    }

    /// Calls `body` with the address bytes in network order: 4 for IPv4, 16 for IPv6. Allocation-free.
    public func withAddressBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var pair = (high, low)
        return try withUnsafeBytes(of: &pair) { bytes in
            try body(UnsafeRawBufferPointer(rebasing: bytes[0..<(family == .ipv4 ? 4 : 16)]))
        }
    }
}

// MARK: sockaddr conversions (allocation-free)

extension SocketAddress {
    /// Reads a `sockaddr_in` or `sockaddr_in6`; `nil` for another family or a length too short for the family.
    /// - Complexity: O(1). Allocation-free.
    public init?(sockaddr pointer: UnsafeRawPointer, length: socklen_t) {
        guard length >= socklen_t(MemoryLayout<sa_family_t>.size) else { return nil }
        let family = pointer.loadUnaligned(as: sa_family_t.self)
        switch Int32(family) {
        case AF_INET:
            guard length >= socklen_t(MemoryLayout<sockaddr_in>.size) else { return nil }
            let address = pointer.loadUnaligned(as: sockaddr_in.self)
            self.init(
                family: .ipv4, high: UInt64(address.sin_addr.s_addr), low: 0,
                port: UInt16(bigEndian: address.sin_port), scopeID: 0)
        case AF_INET6:
            guard length >= socklen_t(MemoryLayout<sockaddr_in6>.size) else { return nil }
            let address = pointer.loadUnaligned(as: sockaddr_in6.self)
            var bytes = address.sin6_addr
            let (high, low) = withUnsafeBytes(of: &bytes) {
                ($0.loadUnaligned(fromByteOffset: 0, as: UInt64.self), $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            }
            self.init(
                family: .ipv6, high: high, low: low,
                port: UInt16(bigEndian: address.sin6_port), scopeID: address.sin6_scope_id)
        default:
            return nil
        }
    }

    /// Writes the address as a `sockaddr_in` or `sockaddr_in6` into `storage` and returns its length.
    /// - warning: `storage` must hold `MemoryLayout<sockaddr_in6>.size` bytes and be 4-byte aligned.
    /// - Complexity: O(1). Allocation-free.
    @discardableResult
    public func write(to storage: UnsafeMutableRawPointer) -> socklen_t {
        switch family {
        case .ipv4:
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = UInt32(truncatingIfNeeded: high)
            storage.storeBytes(of: address, as: sockaddr_in.self)
            return socklen_t(MemoryLayout<sockaddr_in>.size)
        case .ipv6:
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            address.sin6_scope_id = scopeID
            withUnsafeMutableBytes(of: &address.sin6_addr) { bytes in
                bytes.storeBytes(of: high, toByteOffset: 0, as: UInt64.self)
                bytes.storeBytes(of: low, toByteOffset: 8, as: UInt64.self)
            }
            storage.storeBytes(of: address, as: sockaddr_in6.self)
            return socklen_t(MemoryLayout<sockaddr_in6>.size)
        }
    }

    /// Calls `body` with the address as a `sockaddr` pointer and its length, built on the stack.
    /// - Complexity: O(1). Allocation-free.
    public func withSockAddr<R, E: Error>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws(E) -> R) throws(E) -> R {
        var storage = sockaddr_in6()
        return try withUnsafeMutableBytes(of: &storage) { (raw) throws(E) -> R in
            let length = write(to: raw.baseAddress.unsafelyUnwrapped)
            return try body(raw.baseAddress.unsafelyUnwrapped.assumingMemoryBound(to: sockaddr.self), length)
        }
    }

    /// The address as a `sockaddr_storage` (for APIs that want one).
    public var sockaddrStorage: sockaddr_storage {
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { _ = write(to: $0.baseAddress.unsafelyUnwrapped) }
        return storage
    }

    /// The C address family, `AF_INET` or `AF_INET6`.
    public var addressFamily: Int32 { family == .ipv4 ? AF_INET : AF_INET6 }
}
