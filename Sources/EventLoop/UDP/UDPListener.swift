import ClusterDNSCSystem

/// What a worker needs from its UDP listeners without knowing their handler and I/O types.
protocol UDPListenerProtocol: AnyObject {
    var fd: Int32 { get }
    var hasQueuedReplies: Bool { get }
    var pendingReplies: Int { get }
    func queueReply(_ bytes: UnsafeRawBufferPointer, to target: UDPReplyTarget) -> Bool
    func flushQueuedReplies()
    func stopReading()
    func close()
}

/// One worker's socket for one UDP listen address: reads batches with `recvmmsg`, calls the handler per
/// datagram, and sends the replies of a batch with one `sendmmsg`.
///
/// Generic over the handler and the I/O so the per-datagram call is not an existential. The read-handle-send
/// loop touches only preallocated memory: no allocation per datagram or per batch.
///
/// Errno policy (STYLE.md §C3), counted in the worker's counters:
/// | call | errno | policy |
/// | --- | --- | --- |
/// | recvmmsg | EAGAIN | done until the next readiness |
/// | recvmmsg | anything else | count `udpReceiveErrors`, stop this wake-up (level-triggered: retried next iteration) |
/// | sendmmsg | short count | resend from the first unsent entry |
/// | sendmmsg | EAGAIN | drop the rest of the batch, count `udpDroppedWouldBlock` |
/// | sendmmsg | ENOBUFS, ENOMEM | drop the rest of the batch, count `udpDroppedNoBuffers` |
/// | sendmmsg | EINVAL | skip that one entry, count `udpDroppedInvalid`, send the rest |
/// | sendmmsg | anything else | skip that one entry, count `udpDroppedOther`, send the rest |
final class UDPListener<Handler: DatagramHandler, IO: DatagramIO>: IOHandler, UDPListenerProtocol {
    let fd: Int32
    let index: Int
    let boundAddress: SocketAddress
    let usesPacketInfo: Bool
    let handler: Handler
    var io: IO
    // unowned(unsafe): the worker owns its loop, which owns this listener's registration, and the worker
    // outlives both (it is released only after its thread has been joined); no refcounting per batch.
    unowned(unsafe) let worker: Worker
    let buffers: UDPBatchBuffers
    let maxBatchesPerWakeup: Int
    private var queue: DatagramVector?
    private var queuedCount = 0
    private let queueCapacity: Int
    private var reading = false
    private var closed = false

    init(fd: Int32, index: Int, boundAddress: SocketAddress, usesPacketInfo: Bool, handler: Handler, io: IO, worker: Worker) {
        self.fd = fd
        self.index = index
        self.boundAddress = boundAddress
        self.usesPacketInfo = usesPacketInfo
        self.handler = handler
        self.io = io
        self.worker = worker
        self.buffers = worker.udpBuffers
        self.maxBatchesPerWakeup = max(1, worker.configuration.udp.maxBatchesPerWakeup)
        self.queueCapacity = max(1, worker.configuration.udp.asyncQueueCapacity)
    }

    func startReading() throws(SystemError) {
        try worker.loop.register(fd: fd, events: .readable, handler: self)
        reading = true
    }

    func stopReading() {
        if reading {
            worker.loop.unregister(fd: fd)
            reading = false
        }
    }

    func close() {
        guard !closed else { return }
        stopReading()
        flushQueuedReplies()
        closed = true
        Syscall.close(fd: fd)
    }

    var pendingReplies: Int { handler.pendingReplies }

    func ioReady(_ events: IOEvents) {
        var batches = 0
        while batches < maxBatchesPerWakeup {
            batches += 1
            if receiveAndAnswerBatch() < buffers.receive.capacity { return }
        }
    }

    /// One `recvmmsg`, the handler per datagram, one `sendmmsg` for the replies; returns datagrams received.
    /// - Complexity: O(datagrams). Allocation-free.
    @inline(__always)
    private func receiveAndAnswerBatch() -> Int {
        let receive = buffers.receive
        let send = buffers.send
        if buffers.dirtyReceiveEntries > 0 || buffers.lastControlSetting != usesPacketInfo {
            let count = buffers.lastControlSetting == usesPacketInfo ? buffers.dirtyReceiveEntries : receive.capacity
            receive.prepareForReceive(count: count, withControl: usesPacketInfo)
            buffers.lastControlSetting = usesPacketInfo
            buffers.dirtyReceiveEntries = 0
        }
        let received: Int
        do {
            switch try io.recvmmsg(fd: fd, messages: receive.messages, count: receive.capacity) {
            case .wouldBlock: return 0
            case .processed(let count): received = count
            }
        } catch {
            worker.counters.udpReceiveErrors &+= 1
            return 0
        }
        buffers.dirtyReceiveEntries = received
        var truncated: UInt64 = 0
        var replies = 0
        for entry in 0..<received {
            let header = receive.header(entry)
            let isTruncated = header.pointee.msg_flags & Int32(MSG_TRUNC) != 0
            if isTruncated { truncated &+= 1 }
            guard let peer = SocketAddress(sockaddr: UnsafeRawPointer(receive.names + entry), length: header.pointee.msg_namelen)
            else { continue }
            var local = boundAddress
            var interfaceIndex: UInt32 = 0
            if usesPacketInfo, let (destination, interface) = PacketInfo.destination(of: header, port: boundAddress.port) {
                local = destination
                interfaceIndex = interface
            }
            let target = UDPReplyTarget(
                peer: peer, local: local, interfaceIndex: interfaceIndex, workerIndex: worker.index, listenerIndex: index)
            let length = Int(receive.messages[entry].msg_len)
            let packet = UnsafeRawBufferPointer(start: receive.data + entry * receive.slotSize, count: min(length, receive.slotSize))
            let response = send.slot(entry)
            guard let replyLength = handler.handleDatagram(packet, truncated: isTruncated, from: target, response: response),
                replyLength > 0
            else { continue }
            precondition(replyLength <= response.count, "a DatagramHandler returned a reply longer than its send slot")
            let reply = send.messages + replies
            reply.pointee.msg_hdr.msg_name = UnsafeMutableRawPointer(receive.names + entry)
            reply.pointee.msg_hdr.msg_namelen = header.pointee.msg_namelen
            send.iovecs[replies].iov_base = response.baseAddress
            send.iovecs[replies].iov_len = replyLength
            if usesPacketInfo {
                let control = send.controlBuffer(replies)
                reply.pointee.msg_hdr.msg_control = control
                reply.pointee.msg_hdr.msg_controllen = PacketInfo.write(source: local, interfaceIndex: interfaceIndex, into: control)
            } else {
                reply.pointee.msg_hdr.msg_control = nil
                reply.pointee.msg_hdr.msg_controllen = 0
            }
            reply.pointee.msg_hdr.msg_flags = 0
            replies += 1
        }
        worker.counters.udpReceived &+= UInt64(received)
        worker.counters.udpReceiveBatches &+= 1
        if truncated > 0 { worker.counters.udpTruncated &+= truncated }
        if replies > 0 { sendAll(send.messages, count: replies) }
        return received
    }

    /// Sends `count` prepared entries, applying the errno policy in the table above; every entry ends counted
    /// as sent or dropped. - Complexity: one `sendmmsg` per failed entry plus one. Allocation-free.
    private func sendAll(_ messages: UnsafeMutablePointer<CSystem_mmsghdr>, count: Int) {
        var start = 0
        var calls: UInt64 = 0
        var sent = 0
        while start < count {
            calls &+= 1
            do {
                switch try io.sendmmsg(fd: fd, messages: messages + start, count: count - start) {
                case .processed(let done) where done > 0:
                    sent += done
                    start += done
                case .processed:
                    // Zero sent without an error is not documented; treat it like a full buffer rather than loop.
                    worker.counters.udpDroppedWouldBlock &+= UInt64(count - start)
                    start = count
                case .wouldBlock:
                    worker.counters.udpDroppedWouldBlock &+= UInt64(count - start)
                    start = count
                }
            } catch {
                switch error.errno {
                case ENOBUFS, ENOMEM:
                    worker.counters.udpDroppedNoBuffers &+= UInt64(count - start)
                    start = count
                case EINVAL:
                    worker.counters.udpDroppedInvalid &+= 1
                    start += 1
                default:
                    worker.counters.udpDroppedOther &+= 1
                    start += 1
                }
            }
        }
        worker.counters.udpSent &+= UInt64(sent)
        worker.counters.udpSendCalls &+= calls
    }

    // MARK: asynchronous replies

    var hasQueuedReplies: Bool { queuedCount > 0 }

    /// Copies a reply into this listener's queue; the worker flushes it at the end of the loop iteration, so
    /// replies completed in one iteration (a batch of upstream answers) leave in one `sendmmsg`.
    func queueReply(_ bytes: UnsafeRawBufferPointer, to target: UDPReplyTarget) -> Bool {
        guard !closed, bytes.count > 0, bytes.count <= worker.configuration.udp.maxResponseSize else {
            worker.counters.udpAsyncRefused &+= 1
            return false
        }
        let vector: DatagramVector
        if let queue {
            vector = queue
        } else {
            vector = DatagramVector(capacity: queueCapacity, slotSize: worker.configuration.udp.maxResponseSize)
            queue = vector
        }
        if queuedCount == vector.capacity { flushQueuedReplies() }
        let entry = queuedCount
        let slot = vector.slot(entry)
        slot.copyMemory(from: bytes)
        let header = vector.header(entry)
        header.pointee.msg_name = UnsafeMutableRawPointer(vector.names + entry)
        header.pointee.msg_namelen = target.peer.write(to: UnsafeMutableRawPointer(vector.names + entry))
        vector.iovecs[entry].iov_len = bytes.count
        if usesPacketInfo {
            let control = vector.controlBuffer(entry)
            header.pointee.msg_control = control
            header.pointee.msg_controllen = PacketInfo.write(source: target.local, interfaceIndex: target.interfaceIndex, into: control)
        } else {
            header.pointee.msg_control = nil
            header.pointee.msg_controllen = 0
        }
        header.pointee.msg_flags = 0
        queuedCount += 1
        worker.noteQueuedReplies()
        return true
    }

    func flushQueuedReplies() {
        guard queuedCount > 0, let queue else { return }
        let count = queuedCount
        queuedCount = 0
        sendAll(queue.messages, count: count)
    }
}
