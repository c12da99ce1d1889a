import ClusterDNSCSystem

/// A preallocated vector of `mmsghdr` entries with everything they point to: one `iovec`, one address, one
/// control buffer and one data slot per entry. Allocated once per worker; nothing is allocated per datagram.
///
/// The fixed links (entry → iovec → data slot, entry → control buffer) are set up here once; users set only
/// what changes per datagram (lengths, and the address pointer when a reply points at a received address).
final class DatagramVector {
    let capacity: Int
    let slotSize: Int
    let messages: UnsafeMutablePointer<CSystem_mmsghdr>
    let iovecs: UnsafeMutablePointer<iovec>
    let names: UnsafeMutablePointer<sockaddr_in6>
    let control: UnsafeMutableRawPointer
    let data: UnsafeMutableRawPointer

    init(capacity: Int, slotSize: Int) {
        precondition(capacity > 0 && slotSize > 0)
        self.capacity = capacity
        self.slotSize = slotSize
        messages = .allocate(capacity: capacity)
        messages.initialize(repeating: CSystem_mmsghdr(), count: capacity)
        iovecs = .allocate(capacity: capacity)
        iovecs.initialize(repeating: iovec(), count: capacity)
        names = .allocate(capacity: capacity)
        names.initialize(repeating: sockaddr_in6(), count: capacity)
        control = .allocate(byteCount: capacity * PacketInfo.controlSize, alignment: 16)
        control.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * PacketInfo.controlSize)
        data = .allocate(byteCount: capacity * slotSize, alignment: 16)
        for index in 0..<capacity {
            iovecs[index].iov_base = data + index * slotSize
            iovecs[index].iov_len = slotSize
            messages[index].msg_hdr.msg_iov = iovecs + index
            messages[index].msg_hdr.msg_iovlen = 1
            messages[index].msg_hdr.msg_name = UnsafeMutableRawPointer(names + index)
            messages[index].msg_hdr.msg_namelen = socklen_t(MemoryLayout<sockaddr_in6>.size)
        }
    }

    deinit {
        messages.deallocate()
        iovecs.deallocate()
        names.deallocate()
        control.deallocate()
        data.deallocate()
    }

    /// The data slot of entry `index`.
    @inline(__always)
    func slot(_ index: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: data + index * slotSize, count: slotSize)
    }

    /// The control buffer of entry `index`.
    @inline(__always)
    func controlBuffer(_ index: Int) -> UnsafeMutableRawPointer { control + index * PacketInfo.controlSize }

    /// The `msghdr` of entry `index` (the first field of `mmsghdr`).
    @inline(__always)
    func header(_ index: Int) -> UnsafeMutablePointer<msghdr> {
        UnsafeMutableRawPointer(messages + index).assumingMemoryBound(to: msghdr.self)
    }

    /// Makes the first `count` entries ready to receive again: the kernel overwrote their address and control
    /// lengths and flags. - Complexity: O(count). Allocation-free.
    @inline(__always)
    func prepareForReceive(count: Int, withControl: Bool) {
        let controlLength = withControl ? PacketInfo.controlSize : 0
        for index in 0..<count {
            messages[index].msg_hdr.msg_namelen = socklen_t(MemoryLayout<sockaddr_in6>.size)
            messages[index].msg_hdr.msg_control = withControl ? controlBuffer(index) : nil
            messages[index].msg_hdr.msg_controllen = controlLength
            messages[index].msg_hdr.msg_flags = 0
            messages[index].msg_len = 0
        }
    }
}

/// One worker's receive and send vectors for batch UDP, shared by its listeners (a batch is received, handled
/// and sent before the next listener runs, so they never overlap).
final class UDPBatchBuffers {
    let receive: DatagramVector
    let send: DatagramVector
    /// Receive entries the kernel wrote in the last batch, to reset before the next one.
    var dirtyReceiveEntries: Int
    var lastControlSetting: Bool?

    init(configuration: UDPConfiguration) {
        receive = DatagramVector(capacity: configuration.batchSize, slotSize: configuration.receiveSlotSize)
        send = DatagramVector(capacity: configuration.batchSize, slotSize: configuration.maxResponseSize)
        dirtyReceiveEntries = configuration.batchSize
    }
}
