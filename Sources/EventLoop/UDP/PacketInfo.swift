import ClusterDNSCSystem

/// Reading and writing the packet-info ancillary data (`IP_PKTINFO`, `IPV6_PKTINFO`) that lets a socket bound
/// to a wildcard address learn where each query was sent and answer from that same address.
enum PacketInfo {
    /// Control-buffer bytes one datagram needs: room for the larger of the two structures.
    static let controlSize: Int = max(
        CSystem_CMSG_SPACE(MemoryLayout<in_pktinfo>.size), CSystem_CMSG_SPACE(MemoryLayout<CSystem_in6_pktinfo>.size))

    /// The destination address and interface of a received datagram, from its control data; `nil` when the
    /// kernel sent none (never on a socket with packet info enabled).
    /// - Complexity: O(control headers), usually one. Allocation-free.
    static func destination(of message: UnsafeMutablePointer<msghdr>, port: UInt16) -> (SocketAddress, UInt32)? {
        var header = CSystem_CMSG_FIRSTHDR(message)
        while let current = header {
            let level = current.pointee.cmsg_level
            let type = current.pointee.cmsg_type
            let data = UnsafeRawPointer(CSystem_CMSG_DATA(current))
            if level == Int32(IPPROTO_IP), type == IP_PKTINFO, let data {
                let info = data.loadUnaligned(as: in_pktinfo.self)
                let address = SocketAddress(
                    family: .ipv4, high: UInt64(info.ipi_addr.s_addr), low: 0, port: port, scopeID: 0)
                return (address, UInt32(bitPattern: info.ipi_ifindex))
            }
            if level == Int32(IPPROTO_IPV6), type == IPV6_PKTINFO, let data {
                let high = data.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
                let low = data.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
                let index = data.loadUnaligned(fromByteOffset: 16, as: UInt32.self)
                return (SocketAddress(family: .ipv6, high: high, low: low, port: port, scopeID: 0), index)
            }
            header = CSystem_CMSG_NXTHDR(message, current)
        }
        return nil
    }

    /// Writes the control data that makes a reply leave from `source`; returns its length for `msg_controllen`.
    ///
    /// IPv4 leaves the interface index 0 so the route to the peer picks the interface (replies across
    /// asymmetric routes still work); IPv6 keeps it, which link-local peers need.
    /// - warning: `control` must hold `controlSize` bytes, aligned for `cmsghdr`.
    /// - Complexity: O(1). Allocation-free.
    static func write(source: SocketAddress, interfaceIndex: UInt32, into control: UnsafeMutableRawPointer) -> Int {
        let header = control.assumingMemoryBound(to: cmsghdr.self)
        let data = control + (Int(bitPattern: CSystem_CMSG_DATA(header)) - Int(bitPattern: control))
        switch source.family {
        case .ipv4:
            header.pointee.cmsg_len = CSystem_CMSG_LEN(MemoryLayout<in_pktinfo>.size)
            header.pointee.cmsg_level = Int32(IPPROTO_IP)
            header.pointee.cmsg_type = IP_PKTINFO
            var info = in_pktinfo()
            info.ipi_ifindex = 0
            info.ipi_spec_dst.s_addr = UInt32(truncatingIfNeeded: source.rawHigh)
            data.storeBytes(of: info, as: in_pktinfo.self)
            return CSystem_CMSG_SPACE(MemoryLayout<in_pktinfo>.size)
        case .ipv6:
            header.pointee.cmsg_len = CSystem_CMSG_LEN(MemoryLayout<CSystem_in6_pktinfo>.size)
            header.pointee.cmsg_level = Int32(IPPROTO_IPV6)
            header.pointee.cmsg_type = IPV6_PKTINFO
            data.storeBytes(of: source.rawHigh, toByteOffset: 0, as: UInt64.self)
            data.storeBytes(of: source.rawLow, toByteOffset: 8, as: UInt64.self)
            data.storeBytes(of: interfaceIndex, toByteOffset: 16, as: UInt32.self)
            return CSystem_CMSG_SPACE(MemoryLayout<CSystem_in6_pktinfo>.size)
        }
    }
}
