/// A domain name in uncompressed wire form, with the case it was written in.
///
/// DNS compares names without regard to ASCII case (RFC 4343) but must echo the case a client
/// sent (0x20 randomisation, RFC 1035 §2.3.3), so the bytes keep their case and `==`/`hash`
/// fold it. `exactlyEquals` compares byte for byte when the case matters.
///
/// Invariants (checked by every initialiser): each label is 1...63 octets, the whole name,
/// length octets and the final zero included, is at most 255 octets.
public struct DomainName: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Wire form: length-prefixed labels ending with the zero-length root label.
    public internal(set) var wire: [UInt8]

    /// The root name `.`.
    public static let root = DomainName(uncheckedWire: [0])

    /// The most octets a name may take on the wire (RFC 1035 §2.3.4).
    @inlinable public static var maxWireLength: Int { 255 }
    /// The most octets one label may hold (RFC 1035 §2.3.4).
    @inlinable public static var maxLabelLength: Int { 63 }

    /// Wraps bytes already known to be a valid, uncompressed wire name.
    @usableFromInline init(uncheckedWire: [UInt8]) { wire = uncheckedWire }

    /// Validates `wire` as an uncompressed name (no pointers) and wraps it.
    public init(wire bytes: [UInt8]) throws(NameError) {
        try DomainName.validate(bytes)
        wire = bytes
    }

    /// Builds a name from labels, most specific first: `["www", "example", "com"]`.
    public init(labels: some Sequence<some Collection<UInt8>>) throws(NameError) {
        var bytes: [UInt8] = []
        for label in labels {
            guard !label.isEmpty else { throw .emptyLabel }
            guard label.count <= DomainName.maxLabelLength else { throw .labelTooLong(label.count) }
            bytes.append(UInt8(label.count))
            bytes.append(contentsOf: label)
        }
        bytes.append(0)
        guard bytes.count <= DomainName.maxWireLength else { throw .nameTooLong(bytes.count) }
        wire = bytes
    }

    /// Checks the wire invariants without building a name.
    public static func validate(_ bytes: [UInt8]) throws(NameError) {
        guard bytes.count <= maxWireLength else { throw .nameTooLong(bytes.count) }
        var i = 0
        while i < bytes.count {
            let length = Int(bytes[i])
            if length == 0 {
                guard i == bytes.count - 1 else { throw .trailingBytes }
                return
            }
            guard length <= maxLabelLength else { throw .labelTooLong(length) }
            i += 1 + length
        }
        throw .missingRoot
    }

    /// True for `.`.
    @inlinable public var isRoot: Bool { wire.count == 1 }

    /// Octets on the wire, final zero included.
    @inlinable public var wireLength: Int { wire.count }

    /// Number of labels, not counting the root: `www.example.com.` has 3.
    public var labelCount: Int {
        var count = 0
        var i = 0
        while wire[i] != 0 {
            count += 1
            i += 1 + Int(wire[i])
        }
        return count
    }

    /// The labels, most specific first, as byte slices of `wire`.
    public var labels: [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var i = 0
        while wire[i] != 0 {
            let length = Int(wire[i])
            result.append(wire[(i + 1)..<(i + 1 + length)])
            i += 1 + length
        }
        return result
    }

    /// The first label as a byte slice, or an empty slice for the root.
    public var firstLabel: ArraySlice<UInt8> {
        let length = Int(wire[0])
        return wire[1..<(1 + length)]
    }

    /// The name without its first `count` labels (`www.example.com.` → `example.com.` for 1).
    /// Dropping more labels than there are gives the root.
    public func droppingFirst(_ count: Int = 1) -> DomainName {
        var i = 0
        var dropped = 0
        while dropped < count && wire[i] != 0 {
            i += 1 + Int(wire[i])
            dropped += 1
        }
        return DomainName(uncheckedWire: Array(wire[i...]))
    }

    /// `label.self`; throws if the result breaks the length limits.
    public func prepending(_ label: some Collection<UInt8>) throws(NameError) -> DomainName {
        guard !label.isEmpty else { throw .emptyLabel }
        guard label.count <= DomainName.maxLabelLength else { throw .labelTooLong(label.count) }
        let total = wire.count + 1 + label.count
        guard total <= DomainName.maxWireLength else { throw .nameTooLong(total) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(total)
        bytes.append(UInt8(label.count))
        bytes.append(contentsOf: label)
        bytes.append(contentsOf: wire)
        return DomainName(uncheckedWire: bytes)
    }

    /// `self` followed by `suffix` (`www` + `example.com.`); `self`'s root label is dropped.
    public func appending(_ suffix: DomainName) throws(NameError) -> DomainName {
        let total = wire.count - 1 + suffix.wire.count
        guard total <= DomainName.maxWireLength else { throw .nameTooLong(total) }
        return DomainName(uncheckedWire: Array(wire.dropLast()) + suffix.wire)
    }

    /// True when `self` is `zone` or lies below it, on a label boundary, ignoring case.
    public func isSubdomain(of zone: DomainName) -> Bool {
        let offset = wire.count - zone.wire.count
        guard offset >= 0 else { return false }
        var i = 0
        while i < offset { i += 1 + Int(wire[i]) }
        guard i == offset else { return false }
        return wire.withUnsafeBytes { a in
            zone.wire.withUnsafeBytes { b in
                WireName.equalIgnoringCase(UnsafeRawBufferPointer(rebasing: a[offset...]), b)
            }
        }
    }

    /// The labels of `self` in front of `zone`, or nil when `self` is not under `zone`:
    /// `a.b.example.com.` relative to `example.com.` is `["a", "b"]`.
    public func labels(relativeTo zone: DomainName) -> [ArraySlice<UInt8>]? {
        guard isSubdomain(of: zone) else { return nil }
        let all = labels
        return Array(all.prefix(all.count - zone.labelCount))
    }

    /// The same name with ASCII letters folded to lowercase.
    public func lowercased() -> DomainName {
        DomainName(uncheckedWire: wire.map(WireName.lowercase))
    }

    /// Byte-for-byte equality, case included.
    public func exactlyEquals(_ other: DomainName) -> Bool { wire == other.wire }

    public static func == (lhs: DomainName, rhs: DomainName) -> Bool {
        lhs.wire.count == rhs.wire.count && lhs.wire.withUnsafeBytes { a in
            rhs.wire.withUnsafeBytes { b in WireName.equalIgnoringCase(a, b) }
        }
    }

    public func hash(into hasher: inout Hasher) {
        for byte in wire { hasher.combine(WireName.lowercase(byte)) }
    }

    /// DNSSEC canonical order (RFC 4034 §6.1): compare labels right to left, each as lowercase bytes.
    public static func < (lhs: DomainName, rhs: DomainName) -> Bool {
        let a = lhs.labels
        let b = rhs.labels
        var i = a.count - 1
        var j = b.count - 1
        while i >= 0 && j >= 0 {
            let la = a[i].lazy.map(WireName.lowercase)
            let lb = b[j].lazy.map(WireName.lowercase)
            if !la.elementsEqual(lb) { return la.lexicographicallyPrecedes(lb) }
            i -= 1
            j -= 1
        }
        return a.count < b.count
    }
}

/// Why a name is not a valid domain name.
public enum NameError: Error, Equatable, Sendable, CustomStringConvertible {
    case emptyLabel
    case labelTooLong(Int)
    case nameTooLong(Int)
    case missingRoot
    case trailingBytes
    case badEscape(String)

    public var description: String {
        switch self {
        case .emptyLabel: "empty label"
        case .labelTooLong(let n): "label of \(n) octets (at most 63)"
        case .nameTooLong(let n): "name of \(n) octets (at most 255)"
        case .missingRoot: "name does not end with the root label"
        case .trailingBytes: "bytes after the root label"
        case .badEscape(let s): "bad escape '\(s)'"
        }
    }
}
