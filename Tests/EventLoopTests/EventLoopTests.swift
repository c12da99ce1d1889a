import ClusterDNSCSystem
import Synchronization
import Testing

@testable import EventLoop

@Suite("Event loop: timers, cross-thread jobs, registrations")
struct EventLoopTests {
    /// Drives `loop` on the test thread until `done()` or a generous deadline.
    static func drive(_ loop: EventLoop, until done: () -> Bool) throws {
        let deadline = MonotonicInstant.now() + .seconds(10)
        while !done(), MonotonicInstant.now() < deadline {
            try loop.runOnce(maximumWait: .milliseconds(50))
        }
    }

    @Test("timers fire in deadline order and a cancelled timer never fires")
    func timersFireInOrder() throws {
        let loop = try EventLoop()
        var fired: [Int] = []
        loop.schedule(after: .milliseconds(30)) { fired.append(30) }
        loop.schedule(after: .milliseconds(10)) { fired.append(10) }
        let cancelled = loop.schedule(after: .milliseconds(15)) { fired.append(15) }
        loop.schedule(after: .milliseconds(20)) { fired.append(20) }
        loop.schedule(after: .milliseconds(10)) { fired.append(11) }  // same deadline: after the first one
        #expect(loop.cancel(cancelled))
        #expect(!loop.cancel(cancelled))
        try Self.drive(loop) { fired.count == 4 }
        #expect(fired == [10, 11, 20, 30])
        #expect(loop.pendingTimerCount == 0)
    }

    @Test("a timer handler is called with its context, without a closure")
    func timerHandlerGetsContext() throws {
        final class Recorder: TimerHandler {
            var contexts: [UInt64] = []
            func timerFired(_ id: TimerID, context: UInt64) { contexts.append(context) }
        }
        let loop = try EventLoop()
        let recorder = Recorder()
        loop.schedule(after: .milliseconds(5), handler: recorder, context: 7)
        let dropped = loop.schedule(after: .milliseconds(1), handler: recorder, context: 8)
        loop.cancel(dropped)
        try Self.drive(loop) { !recorder.contexts.isEmpty }
        #expect(recorder.contexts == [7])
    }

    @Test("a timer that reschedules itself with no delay does not starve the loop")
    func zeroDelayTimerYields() throws {
        let loop = try EventLoop()
        var runs = 0
        func again() {
            runs += 1
            loop.schedule(after: .zero) { again() }
        }
        again()
        try loop.runOnce(maximumWait: .milliseconds(10))
        #expect(runs == 2)
    }

    @Test("execute from other threads runs every job, in order, on the loop's thread")
    func executeFromOtherThreads() throws {
        let worker = try Worker(index: 0)
        try worker.start()
        defer {
            worker.loop.stop()
            worker.join()
        }
        let seen = Shared<[Int]>([])
        let onLoop = Shared(true)
        for number in 0..<100 {
            worker.loop.execute {
                if !worker.loop.inEventLoop { onLoop.update { $0 = false } }
                seen.update { $0.append(number) }
            }
        }
        #expect(waitUntil { seen.value.count == 100 })
        #expect(seen.value == Array(0..<100))
        #expect(onLoop.value)
        #expect(!worker.loop.inEventLoop)
    }

    @Test("an event collected for a descriptor unregistered in the same iteration is not dispatched")
    func staleEventIsSkipped() throws {
        final class Reader: IOHandler {
            let fd: Int32
            var calls = 0
            var onReady: () -> Void = {}
            init(fd: Int32) { self.fd = fd }
            func ioReady(_ events: IOEvents) {
                calls += 1
                onReady()
            }
        }
        let loop = try EventLoop()
        let first = try Syscall.eventfd(initval: 1, flags: Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        let second = try Syscall.eventfd(initval: 1, flags: Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        defer {
            Syscall.close(fd: first)
            Syscall.close(fd: second)
        }
        let a = Reader(fd: first)
        let b = Reader(fd: second)
        // Whichever runs first unregisters the other; the other's already-collected event must be skipped.
        a.onReady = { loop.unregister(fd: second) }
        b.onReady = { loop.unregister(fd: first) }
        try loop.register(fd: first, events: .readable, handler: a)
        try loop.register(fd: second, events: .readable, handler: b)
        try loop.runOnce(maximumWait: .milliseconds(100))
        #expect(a.calls + b.calls == 1)
    }
}

@Suite("Timer queue")
struct TimerQueueTests {
    @Test("pops in deadline order, with ties in scheduling order, across random cancellations")
    func randomScheduleAndCancel() {
        var queue = TimerQueue()
        var generator = SystemRandomNumberGenerator()
        var live: [TimerID: (deadline: UInt64, order: Int)] = [:]
        var ids: [TimerID] = []
        for order in 0..<2000 {
            let deadline = UInt64.random(in: 0..<500, using: &generator)
            let id = queue.schedule(deadline: deadline, action: .closure {})
            live[id] = (deadline, order)
            ids.append(id)
            if order % 3 == 0, let victim = ids.randomElement(using: &generator) {
                let wasLive = live.removeValue(forKey: victim) != nil
                let cancelled = queue.cancel(victim)
                #expect(cancelled == wasLive)
            }
        }
        #expect(queue.count == live.count)
        var popped: [(UInt64, Int)] = []
        while let (id, _) = queue.popExpired(now: .max) {
            guard let entry = live[id] else {
                Issue.record("popped a timer that was cancelled or never scheduled")
                return
            }
            popped.append((entry.deadline, entry.order))
        }
        #expect(popped.count == live.count)
        #expect(zip(popped, popped.dropFirst()).allSatisfy { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) })
    }

    @Test("a stale id does not cancel the timer that reused its slot")
    func staleIdDoesNotCancelReusedSlot() {
        var queue = TimerQueue()
        let first = queue.schedule(deadline: 1, action: .closure {})
        let expired = queue.popExpired(now: 1)
        #expect(expired != nil)
        let second = queue.schedule(deadline: 5, action: .closure {})
        #expect(first.slot == second.slot)
        let cancelledStale = queue.cancel(first)
        #expect(!cancelledStale)
        #expect(queue.count == 1)
        let early = queue.popExpired(now: 4)
        #expect(early == nil)
        let due = queue.popExpired(now: 5)
        #expect(due?.0 == second)
    }
}

@Suite("Worker threads")
struct WorkerThreadTests {
    @Test("a worker pins its thread to the CPU asked for, and reports a CPU it cannot use")
    func pinning() throws {
        let pinned = try Worker(index: 0, cpu: 0)
        let impossible = try Worker(index: 1, cpu: 100_000)
        for worker in [pinned, impossible] { try worker.start() }
        for worker in [pinned, impossible] {
            worker.loop.stop()
            worker.join()
        }
        #expect(pinned.pinningError == nil)
        #expect(impossible.pinningError == EINVAL)
        #expect(pinned.exitError == nil)
    }
}
