import ClusterDNSCSystem

/// One worker's listening socket for one TCP address: accepts connections (SO_REUSEPORT spreads them over the
/// workers), applies the connection cap, and creates a `TCPConnection` per client.
///
/// Errno policy for `accept4`:
/// | errno | policy |
/// | --- | --- |
/// | EAGAIN | done until the next readiness |
/// | ECONNABORTED, EPROTO, EPERM, ENETDOWN, … | that client is gone: count `tcpAcceptErrors`, accept the next |
/// | EMFILE, ENFILE, ENOBUFS, ENOMEM | out of descriptors or memory: count, stop watching the socket for 100 ms (level-triggered readiness would otherwise spin), then resume |
final class TCPListener: IOHandler {
    let fd: Int32
    let boundAddress: SocketAddress
    let handler: any StreamHandler
    // unowned(unsafe): the worker owns this listener and outlives it.
    unowned(unsafe) let worker: Worker
    private var registered = false
    private var closed = false
    private var resumeTimer: TimerID?

    init(fd: Int32, boundAddress: SocketAddress, handler: any StreamHandler, worker: Worker) {
        self.fd = fd
        self.boundAddress = boundAddress
        self.handler = handler
        self.worker = worker
    }

    func startAccepting() throws(SystemError) {
        try worker.loop.register(fd: fd, events: .readable, handler: self)
        registered = true
    }

    func close() {
        guard !closed else { return }
        closed = true
        if let resumeTimer { worker.loop.cancel(resumeTimer) }
        if registered { worker.loop.unregister(fd: fd) }
        registered = false
        Syscall.close(fd: fd)
    }

    func ioReady(_ events: IOEvents) {
        let configuration = worker.configuration.tcp
        for _ in 0..<configuration.maxAcceptsPerWakeup {
            let result: IOResult<(fd: Int32, peer: SocketAddress?)>
            do {
                result = try Syscall.accept4(fd: fd, flags: Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
            } catch {
                worker.counters.tcpAcceptErrors &+= 1
                switch error.errno {
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    pauseAccepting()
                    return
                default:
                    continue
                }
            }
            guard case .processed(let accepted) = result else { return }
            worker.counters.tcpAccepted &+= 1
            adopt(accepted.fd, peer: accepted.peer ?? boundAddress)
        }
    }

    private func adopt(_ connectionFD: Int32, peer: SocketAddress) {
        let table = worker.connections
        if table.count >= table.capacity, let victim = table.oldestConnection {
            victim.close(.evicted)
        }
        // TCP_NODELAY is set on the listening socket, and Linux copies it to every accepted one (one system
        // call fewer per connection). Failing to set SO_SNDBUF only costs throughput, so the connection is served
        // either way.
        do {
            if let bytes = worker.configuration.tcp.socketSendBufferBytes {
                try Syscall.setsockopt(fd: connectionFD, level: SOL_SOCKET, name: SO_SNDBUF, value: bytes)
            }
        } catch {
            // Optional tuning failed (see above); carry on.
        }
        let (slot, generation) = table.reserveSlot()
        let target = TCPReplyTarget(peer: peer, workerIndex: worker.index, slot: slot, generation: generation)
        let connection = TCPConnection(fd: connectionFD, target: target, handler: handler, worker: worker, now: worker.loop.now.nanoseconds)
        do {
            try worker.loop.register(fd: connectionFD, events: TCPConnection.readEvents, handler: connection)
        } catch {
            table.releaseReservedSlot(slot)
            Syscall.close(fd: connectionFD)
            worker.counters.tcpAcceptErrors &+= 1
            return
        }
        table.insert(connection)
    }

    private func pauseAccepting() {
        if registered {
            worker.loop.unregister(fd: fd)
            registered = false
        }
        guard resumeTimer == nil, !closed else { return }
        resumeTimer = worker.loop.schedule(after: .milliseconds(100)) { [weak self] in
            guard let self, !self.closed else { return }
            self.resumeTimer = nil
            do {
                try self.startAccepting()
            } catch {
                self.pauseAccepting()  // still out of memory: try again later.
            }
        }
    }
}
