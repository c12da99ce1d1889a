import ClusterRegistryTestSupport
import Foundation
import Synchronization
import Testing
@testable import ClusterRegistry

@Suite("Snapshot publication")
struct SnapshotCellTests {
    final class Box: Sendable {
        let value: Int
        init(_ value: Int) { self.value = value }
    }

    @Test("a reader sees nothing before the first publish, then the latest value")
    func readerFollowsPublishes() {
        let cell = SnapshotCell<Box>()
        var reader = cell.makeReader()
        #expect(reader.current() == nil)
        cell.publish(Box(1))
        #expect(reader.current()?.value == 1)
        #expect(reader.generation == 1)
        cell.publish(Box(2))
        cell.publish(Box(3))
        #expect(reader.withCurrent { $0?.value } == 3)
        #expect(reader.generation == 3)
        #expect(cell.load()?.value == 3)
    }

    @Test("values published on another thread reach a reader thread, in order, never torn")
    func crossThread() async {
        let cell = SnapshotCell<ClusterSnapshot>(ClusterSnapshot.empty())
        let count = 200
        // Each published snapshot has `generation` services: a reader that sees a snapshot must
        // see all of its content, and generations must never go backwards.
        let snapshots = (1...count).map { g in
            ClusterSnapshot.build(
                sources: [ObjectSource(name: "g", objects: SyntheticCluster(services: g, endpoints: 0).generate())],
                previous: nil, now: Date())
        }
        let writer = Thread {
            for s in snapshots { cell.publish(s) }
        }
        let failures = Atomic<Int>(0)
        let done = Atomic<Bool>(false)
        let readerThread = Thread {
            var reader = cell.makeReader()
            var lastCount = 0
            while true {
                let finished = done.load(ordering: .acquiring)
                reader.withCurrent { snapshot in
                    guard let snapshot else { return }
                    let n = snapshot.services.count
                    if n < lastCount || snapshot.counts.services != n { failures.add(1, ordering: .relaxed) }
                    lastCount = n
                }
                if finished { break }
            }
            if lastCount != count { failures.add(1000, ordering: .relaxed) }
        }
        readerThread.start()
        writer.start()
        while cell.publishedGeneration < UInt64(count + 1) { try? await Task.sleep(for: .milliseconds(1)) }
        done.store(true, ordering: .releasing)
        while !readerThread.isFinished { try? await Task.sleep(for: .milliseconds(1)) }
        #expect(failures.load(ordering: .relaxed) == 0)
    }

    @Test("subscribers are called on the publishing thread with each value, until they unsubscribe")
    func subscribers() {
        let cell = SnapshotCell<Box>()
        let seen = Mutex<[Int]>([])
        let subscription = cell.subscribe { box in seen.withLock { $0.append(box.value) } }
        cell.publish(Box(1))
        cell.publish(Box(2))
        cell.unsubscribe(subscription)
        cell.publish(Box(3))
        #expect(seen.withLock { $0 } == [1, 2])
    }

    @Test("an old snapshot stays valid for a reader that still holds it")
    func gracePeriod() {
        let cell = SnapshotCell<Box>()
        cell.publish(Box(1))
        var reader = cell.makeReader()
        let held = reader.current()
        cell.publish(Box(2))
        #expect(held?.value == 1)
        #expect(reader.current()?.value == 2)
    }
}
