/// Identifies a scheduled timer so it can be cancelled. A fired or cancelled timer's id never matches a later one.
package struct TimerID: Hashable, Sendable {
    /// Slot index in the low 32 bits, the slot's generation in the high 32 bits (never 0).
    let rawValue: UInt64

    var slot: Int { Int(truncatingIfNeeded: UInt32(truncatingIfNeeded: rawValue)) }
    var generation: UInt32 { UInt32(truncatingIfNeeded: rawValue >> 32) }

    init(slot: Int, generation: UInt32) { rawValue = UInt64(UInt32(slot)) | UInt64(generation) << 32 }
}

/// An object told when one of its timers fires; scheduling through it needs no closure, so it is allocation-free
/// once the queue has grown to its working size (the forwarder's per-query timeouts use this).
package protocol TimerHandler: AnyObject {
    /// Called on the loop's thread. `context` is the value given when scheduling (e.g. a query slot).
    func timerFired(_ id: TimerID, context: UInt64)
}

/// What a timer does when it fires.
enum TimerAction {
    case closure(() -> Void)
    case handler(any TimerHandler, context: UInt64)
}

/// Timers ordered by deadline in an indexed binary min-heap: schedule, cancel and pop are O(log n), and a
/// cancelled timer leaves the heap at once (a forwarder cancels nearly every timeout it sets, so lazy deletion
/// would fill the heap with dead entries).
///
/// Slots are reused through a free list, with a generation per slot so a stale `TimerID` cannot cancel a timer
/// that later took its slot. Timers with equal deadlines fire in the order they were scheduled.
struct TimerQueue {
    private struct Slot {
        var deadline: UInt64 = 0
        var sequence: UInt64 = 0
        var heapIndex: Int = -1
        var generation: UInt32 = 1
        var action: TimerAction?
    }

    private var slots: [Slot] = []
    private var freeSlots: [Int] = []
    private var heap: [Int] = []
    private var nextSequence: UInt64 = 0

    /// Number of pending timers.
    var count: Int { heap.count }

    /// The earliest deadline, in monotonic nanoseconds; `nil` when no timer is pending.
    var nextDeadline: UInt64? { heap.first.map { slots[$0].deadline } }

    /// Adds a timer. - Complexity: O(log n); allocation-free once the arrays have grown.
    mutating func schedule(deadline: UInt64, action: TimerAction) -> TimerID {
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
        } else {
            slot = slots.count
            slots.append(Slot())
        }
        slots[slot].deadline = deadline
        slots[slot].sequence = nextSequence
        nextSequence &+= 1
        slots[slot].action = action
        slots[slot].heapIndex = heap.count
        heap.append(slot)
        siftUp(heap.count - 1)
        return TimerID(slot: slot, generation: slots[slot].generation)
    }

    /// Removes a pending timer; false when it already fired or was cancelled. - Complexity: O(log n).
    mutating func cancel(_ id: TimerID) -> Bool {
        let slot = id.slot
        guard slot < slots.count, slots[slot].generation == id.generation, slots[slot].heapIndex >= 0 else { return false }
        removeFromHeap(at: slots[slot].heapIndex)
        release(slot)
        return true
    }

    /// Removes and returns the earliest timer if its deadline is at or before `now`.
    mutating func popExpired(now: UInt64) -> (TimerID, TimerAction)? {
        guard let top = heap.first, slots[top].deadline <= now, let action = slots[top].action else { return nil }
        let id = TimerID(slot: top, generation: slots[top].generation)
        removeFromHeap(at: 0)
        release(top)
        return (id, action)
    }

    private mutating func release(_ slot: Int) {
        slots[slot].action = nil
        slots[slot].heapIndex = -1
        slots[slot].generation &+= 1
        if slots[slot].generation == 0 { slots[slot].generation = 1 }
        freeSlots.append(slot)
    }

    private func earlier(_ a: Int, _ b: Int) -> Bool {
        let x = slots[heap[a]]
        let y = slots[heap[b]]
        return x.deadline < y.deadline || (x.deadline == y.deadline && x.sequence < y.sequence)
    }

    private mutating func swapAt(_ a: Int, _ b: Int) {
        heap.swapAt(a, b)
        slots[heap[a]].heapIndex = a
        slots[heap[b]].heapIndex = b
    }

    private mutating func removeFromHeap(at index: Int) {
        let last = heap.count - 1
        if index != last { swapAt(index, last) }
        heap.removeLast()
        if index < heap.count {
            siftDown(index)
            siftUp(index)
        }
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard earlier(child, parent) else { return }
            swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            var smallest = left
            if left + 1 < heap.count, earlier(left + 1, left) { smallest = left + 1 }
            guard earlier(smallest, parent) else { return }
            swapAt(smallest, parent)
            parent = smallest
        }
    }
}
