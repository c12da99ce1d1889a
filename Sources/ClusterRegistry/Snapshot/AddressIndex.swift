import DNSWire

/// Maps IP addresses to positions, one family per dictionary.
///
/// Split by family because almost every cluster address is IPv4: a `UInt32` key costs 4 bytes
/// per bucket where an `IPAddress` key costs 24. Most addresses map to one value; the few that
/// map to several (host-network pods share their node's IP, one pod backs several services) keep
/// the extra values in `more`, so the common case stores no array.
struct AddressIndex<Value: Sendable & Equatable>: Sendable {
    private var v4: [UInt32: Value] = [:]
    private var v6: [IPv6Address: Value] = [:]
    private var more: [IPAddress: [Value]] = [:]

    init() {}

    init(reservingCapacity count: Int) {
        v4.reserveCapacity(count)
    }

    /// Adds `value` for `address`, after any values already there.
    /// - Complexity: one hash probe for a new address (the common case), three for a repeat.
    mutating func insert(_ value: Value, for address: IPAddress) {
        switch address {
        case .v4(let a):
            guard let earlier = v4.updateValue(value, forKey: a.rawValue) else { return }
            v4[a.rawValue] = earlier
        case .v6(let a):
            guard let earlier = v6.updateValue(value, forKey: a) else { return }
            v6[a] = earlier
        }
        more[address, default: []].append(value)
    }

    /// The first value inserted for `address`. - Complexity: O(1).
    func first(_ address: IPAddress) -> Value? {
        switch address {
        case .v4(let a): v4[a.rawValue]
        case .v6(let a): v6[a]
        }
    }

    /// Every value for `address`, in insertion order.
    func all(_ address: IPAddress) -> [Value] {
        guard let head = first(address) else { return [] }
        return [head] + (more[address] ?? [])
    }

    var count: Int { v4.count + v6.count + more.values.reduce(0) { $0 + $1.count } }
}
