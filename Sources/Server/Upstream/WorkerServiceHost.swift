import EventLoop
import Plugins

/// What a worker offers its plugins (`WorkerServices`): its loop's timers and upstream pools.
/// One per worker; every call but `execute` comes on the worker's thread.
final class WorkerServiceHost: WorkerServices {
    let loop: EventLoop

    init(loop: EventLoop) { self.loop = loop }

    func schedule(after delay: Duration, _ action: @escaping () -> Void) {
        loop.schedule(after: delay, action)
    }

    func execute(_ work: @escaping @Sendable () -> Void) {
        loop.execute(work)
    }

    func makeUpstreamExchange(_ options: UpstreamPoolOptions, client: any UpstreamExchangeClient) -> any UpstreamExchange {
        UpstreamPool(loop: loop, options: options, client: client)
    }
}
