// Fixed tables of the index whose elements must not straddle cache lines.
//
// A Swift array's elements start 32 octets into its allocation, so 16- and 32-octet entries
// cross a line boundary whenever the allocation is not 64-aligned, and reading one entry costs
// two lines. These tables put their first element on a line, so an entry whose stride divides
// 64 is always read from one line.

/// An immutable array whose first element starts a cache line.
///
/// Invariant: `count` elements are initialized from `base` and never change after `init`.
final class LineAlignedTable<Element: Sendable>: @unchecked Sendable {
    /// Read in place by the extensions for particular elements (`ServiceCards`).
    let base: UnsafeMutablePointer<Element>
    let count: Int

    init(_ elements: [Element]) {
        let capacity = max(elements.count, 1)
        let base = UnsafeMutableRawPointer.allocate(byteCount: capacity * MemoryLayout<Element>.stride, alignment: 64)
            .bindMemory(to: Element.self, capacity: capacity)
        elements.withUnsafeBufferPointer { elements in
            if let source = elements.baseAddress { base.initialize(from: source, count: elements.count) }
        }
        self.base = base
        count = elements.count
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    /// True when the first element starts a cache line.
    var isLineAligned: Bool { Int(bitPattern: base) & 63 == 0 }

    /// Octets the table holds.
    var footprint: Int { max(count, 1) * MemoryLayout<Element>.stride }

    var indices: Range<Int> { 0..<count }

    /// The element at `i`; `i` must be in `indices` (checked).
    @inline(__always)
    subscript(_ i: Int) -> Element {
        precondition(i >= 0 && i < count, "LineAlignedTable index out of range")
        return base[i]
    }

    /// Every element, in order (for tests and slow paths).
    var elements: [Element] { Array(UnsafeBufferPointer(start: base, count: count)) }
}
