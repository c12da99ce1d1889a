/// N workers serving the same addresses (one SO_REUSEPORT socket each), started and stopped together.
///
/// Set up listeners before `start()`. Handlers are made per worker by the closures given, so each worker's
/// handler owns that worker's state (caches, pending queries) without sharing.
package final class WorkerGroup: Sendable {
    /// The workers, by index.
    package let workers: [Worker]

    /// Creates `count` workers (no threads yet).
    /// - Parameters:
    ///   - configuration: per-worker sizes, except `tcp.maxConnections`, which is the server-wide cap and is
    ///     split evenly (rounded up) between the workers.
    ///   - cpus: CPU to pin each worker to, by index (shorter than `count`: the rest are not pinned).
    package init(count: Int, configuration: WorkerConfiguration = WorkerConfiguration(), cpus: [Int] = []) throws(SystemError) {
        precondition(count > 0, "a worker group needs at least one worker")
        var perWorker = configuration
        perWorker.tcp.maxConnections = max(1, (configuration.tcp.maxConnections + count - 1) / count)
        var workers: [Worker] = []
        for index in 0..<count {
            workers.append(try Worker(index: index, configuration: perWorker, cpu: index < cpus.count ? cpus[index] : nil))
        }
        self.workers = workers
    }

    /// Opens one UDP socket per worker on `address`, each served by the handler `makeHandler` returns for that
    /// worker. Port 0 picks a free port once; the other workers join it.
    /// - Returns: the bound address.
    @discardableResult
    package func listenUDP<Handler: DatagramHandler>(on address: SocketAddress, makeHandler: (Worker) -> Handler) throws(SystemError) -> SocketAddress {
        try listenUDP(on: address, makeHandler: makeHandler, makeIO: { _ in SystemDatagramIO() })
    }

    /// Like `listenUDP(on:makeHandler:)` with the batch I/O per worker given (fault injection in tests).
    @discardableResult
    package func listenUDP<Handler: DatagramHandler, IO: DatagramIO>(
        on address: SocketAddress, makeHandler: (Worker) -> Handler, makeIO: (Worker) -> IO
    ) throws(SystemError) -> SocketAddress {
        var bound = address
        for worker in workers {
            bound = try worker.listenUDP(on: bound, handler: makeHandler(worker), io: makeIO(worker))
        }
        return bound
    }

    /// Opens one listening TCP socket per worker on `address`. Port 0 picks a free port once.
    /// - Returns: the bound address.
    @discardableResult
    package func listenTCP<Handler: StreamHandler>(on address: SocketAddress, makeHandler: (Worker) -> Handler) throws(SystemError) -> SocketAddress {
        var bound = address
        for worker in workers {
            bound = try worker.listenTCP(on: bound, handler: makeHandler(worker))
        }
        return bound
    }

    /// Starts every worker's thread. On failure the workers already started are stopped.
    package func start() throws(SystemError) {
        for (position, worker) in workers.enumerated() {
            do {
                try worker.start()
            } catch {
                for started in workers[..<position] { started.loop.stop() }
                for started in workers[..<position] { started.join() }
                throw error
            }
        }
    }

    /// Stops every worker gracefully (see `Worker.stop(drainFor:)`). Thread-safe; returns at once.
    package func stop(drainFor: Duration) {
        for worker in workers { worker.stop(drainFor: drainFor) }
    }

    /// Waits for every worker's thread to end.
    package func join() {
        for worker in workers { worker.join() }
    }

    /// The sum of the workers' published counters. Thread-safe.
    package var counters: WorkerCounters {
        workers.reduce(WorkerCounters()) { $0 + $1.counterSnapshot }
    }
}
