import DNSWire

// One cache line per service for what a service-name lookup reads.
//
// At 100 000 services the index is far larger than the CPU's caches, so a lookup costs the
// cache lines it touches, not its instructions. Before the cards, finding `<svc>.<ns>.svc` and
// answering its A record touched the `services` table slot, the service's `ServiceEntry` (72
// octets, so usually two lines) and its key in the arena: four lines from three arrays. A card
// holds the key itself (up to `ServiceCard.inlineKey` octets: nearly every real key), the kind,
// the flags and the IPv4 cluster IP, aligned to a line: the lookup compares the key in the card
// and a ClusterIP service's A, AAAA-NODATA and `ignore empty_service` decisions read nothing
// else. The slot and the card: two lines. The card is also the only place the key, kind, flags
// and IPv4 cluster IP are kept: the service's `ServiceEntry` holds only its endpoint and port
// ranges (16 octets), and the card's `extra` points at what few services have.

/// What a lookup and a ClusterIP address answer read of a service: exactly 64 octets.
///
/// Invariants: `key` holds the service's key `[len]svc[len]ns` (lowercase) when it fits, else
/// zeros (the key is then compared in the arena at `keyOffset`); the octets after the key are
/// zero.
struct ServiceCard: Sendable {
    /// Keys up to this many octets live in the card.
    static let inlineKey = 48

    var key: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0)
    var keyLength: UInt8
    var kind: KubernetesIndex.ServiceKind
    var flags: Flags
    var reserved: UInt8 = 0
    /// The IPv4 cluster IP when `flags` has `.clusterIPv4`.
    var clusterIPv4: UInt32
    /// The key in the arena (always there: SRV and PTR targets are written from it).
    var keyOffset: UInt32
    /// The service's `ServiceExtra` (IPv6 cluster IP, ExternalName target), or -1: most
    /// services have none, so that data stays out of the lines every question reads.
    var extra: Int32

    struct Flags: OptionSet, Sendable {
        let rawValue: UInt8
        static let readyEndpoints = Flags(rawValue: 1)
        static let clusterIPv4 = Flags(rawValue: 2)
        static let clusterIPv6 = Flags(rawValue: 4)
    }

    /// A card for the key at `keyOffset` in `arena`, copied in when it fits.
    init(keyOffset: UInt32, keyLength: UInt8, kind: KubernetesIndex.ServiceKind, hasReadyEndpoints: Bool,
         clusterIPv4: IPv4Address?, hasClusterIPv6: Bool, extra: Int32, arena: UnsafeRawBufferPointer) {
        self.keyLength = keyLength
        self.kind = kind
        var flags: Flags = []
        if hasReadyEndpoints { flags.insert(.readyEndpoints) }
        if clusterIPv4 != nil { flags.insert(.clusterIPv4) }
        if hasClusterIPv6 { flags.insert(.clusterIPv6) }
        self.flags = flags
        self.clusterIPv4 = clusterIPv4?.rawValue ?? 0
        self.keyOffset = keyOffset
        self.extra = extra
        let length = Int(keyLength)
        if length <= Self.inlineKey {
            let start = Int(keyOffset)
            withUnsafeMutableBytes(of: &key) { key in
                key.copyMemory(from: UnsafeRawBufferPointer(rebasing: arena[start..<(start + length)]))
            }
        }
    }
}

/// The cards of one index, in service order, each on one cache line (`LineAlignedTable`: a Swift
/// array's elements start 32 octets into its allocation, so each card would straddle two lines).
/// Immutable once built.
typealias ServiceCards = LineAlignedTable<ServiceCard>

extension LineAlignedTable where Element == ServiceCard {
    @inline(__always)
    subscript(_ s: Int32) -> ServiceCard { base[Int(s)] }

    /// Where service `s`'s key is in the arena (read in place: no copy of the card).
    @inline(__always)
    func keyRange(_ s: Int32) -> Range<Int> {
        let card = base + Int(s)
        let offset = Int(card.pointee.keyOffset)
        return offset..<(offset + Int(card.pointee.keyLength))
    }

    /// Service `s`'s key when its card holds it (at most `ServiceCard.inlineKey` octets), else
    /// nil. The bytes stay valid as long as the cards do: they are never moved or changed.
    @inline(__always)
    func inlineKey(_ s: Int32) -> UnsafeRawBufferPointer? {
        let card = base + Int(s)
        let length = Int(card.pointee.keyLength)
        guard length <= ServiceCard.inlineKey else { return nil }
        return UnsafeRawBufferPointer(start: UnsafeRawPointer(card), count: length)
    }

    /// True when service `s`'s key is `key` (any case).
    /// - Complexity: O(key length). Allocation-free.
    @inline(__always)
    func keyMatches(_ s: Int32, _ key: UnsafeRawBufferPointer, arena: UnsafeRawBufferPointer) -> Bool {
        let card = base + Int(s)
        let length = Int(card.pointee.keyLength)
        guard length == key.count else { return false }
        if length <= ServiceCard.inlineKey {
            // `key` is the card's first stored property (a test checks its offset is 0).
            return WireName.equalIgnoringCase(UnsafeRawBufferPointer(start: UnsafeRawPointer(card), count: length), key)
        }
        let start = Int(card.pointee.keyOffset)
        return WireName.equalIgnoringCase(UnsafeRawBufferPointer(rebasing: arena[start..<(start + length)]), key)
    }
}
