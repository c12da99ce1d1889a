/// One worker's open TCP connections: slots with generations (for `TCPReplyTarget`), and an intrusive LRU list
/// ordered by last activity, so the idle sweep and eviction look only at the cold end.
///
/// - Complexity: insert, remove, touch and lookup are O(1); the idle sweep is O(connections it closes).
final class TCPConnectionTable {
    private var slots: [TCPConnection?] = []
    private var generations: [UInt32] = []
    private var freeSlots: [Int] = []
    /// Most recently active connection's slot, or -1.
    private var newest = -1
    /// Least recently active connection's slot, or -1.
    private var oldest = -1
    /// Open connections.
    private(set) var count = 0
    /// The cap; at it, a new connection evicts the oldest.
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Reserves a slot: its index and the generation a new connection in it must carry.
    func reserveSlot() -> (slot: Int, generation: UInt32) {
        if let slot = freeSlots.popLast() {
            return (slot, generations[slot])
        }
        slots.append(nil)
        generations.append(1)
        return (slots.count - 1, 1)
    }

    /// Gives back a reserved slot that got no connection (its registration failed).
    func releaseReservedSlot(_ slot: Int) {
        freeSlots.append(slot)
    }

    /// Puts a connection in its reserved slot, as the most recently active.
    func insert(_ connection: TCPConnection) {
        let slot = connection.target.slot
        slots[slot] = connection
        count += 1
        linkAsNewest(connection, slot: slot)
    }

    /// Removes a closing connection and retires its generation.
    func remove(_ connection: TCPConnection) {
        let slot = connection.target.slot
        guard slot < slots.count, slots[slot] === connection else { return }
        unlink(connection, slot: slot)
        slots[slot] = nil
        generations[slot] &+= 1
        if generations[slot] == 0 { generations[slot] = 1 }
        freeSlots.append(slot)
        count -= 1
    }

    /// The open connection a reply target names, or `nil` when it closed (or its slot was reused).
    func connection(for target: TCPReplyTarget) -> TCPConnection? {
        guard target.slot >= 0, target.slot < slots.count, let connection = slots[target.slot],
            connection.target.generation == target.generation
        else { return nil }
        return connection
    }

    /// Records activity: moves the connection to the newest end. - Complexity: O(1).
    func touch(_ connection: TCPConnection, now: UInt64) {
        connection.lastActivity = now
        let slot = connection.target.slot
        if newest == slot { return }
        unlink(connection, slot: slot)
        linkAsNewest(connection, slot: slot)
    }

    /// The least recently active connection.
    var oldestConnection: TCPConnection? { oldest >= 0 ? slots[oldest] : nil }

    /// Every open connection, newest first (for shutdown).
    var all: [TCPConnection] {
        var result: [TCPConnection] = []
        result.reserveCapacity(count)
        var slot = newest
        while slot >= 0, let connection = slots[slot] {
            result.append(connection)
            slot = connection.older
        }
        return result
    }

    private func linkAsNewest(_ connection: TCPConnection, slot: Int) {
        connection.newer = -1
        connection.older = newest
        if newest >= 0 { slots[newest]?.newer = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
    }

    private func unlink(_ connection: TCPConnection, slot: Int) {
        if connection.newer >= 0 { slots[connection.newer]?.older = connection.older } else if newest == slot { newest = connection.older }
        if connection.older >= 0 { slots[connection.older]?.newer = connection.newer } else if oldest == slot { oldest = connection.newer }
        connection.newer = -1
        connection.older = -1
    }
}
