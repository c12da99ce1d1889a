#if canImport(Glibc)
import Glibc
#endif

/// Unpredictable bits from the kernel's CSPRNG, read in batches: upstream query IDs, and the
/// letter case `forward`'s `randomize_case` gives a name.
///
/// Why batches: `SystemRandomNumberGenerator` makes one `getrandom(2)` call per 8 octets, which
/// costs about 0.9 µs here — as much as a third of a forwarded query's own work. Reading 4 KiB
/// from `/dev/urandom` (the same kernel generator) at once brings that to a few nanoseconds per
/// draw. If `/dev/urandom` cannot be opened (a chroot without /dev), it falls back to
/// `SystemRandomNumberGenerator`, 8 octets at a time. Never a fast seeded generator: bits an
/// off-path attacker could predict would let them forge answers.
///
/// The device is opened on the first draw, so a pool that is never drawn from holds no descriptor.
public struct SecureRandomPool: ~Copyable {
    private let buffer: UnsafeMutableRawBufferPointer
    private var offset: Int
    /// -1: not opened yet; -2: opening failed (the fallback is used).
    private var device: Int32 = -1

    public static let size = 4096

    public init() {
        buffer = .allocate(byteCount: SecureRandomPool.size, alignment: 8)
        offset = SecureRandomPool.size
    }

    deinit {
        if device >= 0 { Syscall.close(fd: device) }
        buffer.deallocate()
    }

    /// The next 16 random bits. Allocation-free; one `read(2)` per 2048 calls.
    public mutating func next16() -> UInt16 {
        if offset + 2 > SecureRandomPool.size { refill() }
        let value = buffer.loadUnaligned(fromByteOffset: offset, as: UInt16.self)
        offset += 2
        return value
    }

    /// The next 64 random bits. Allocation-free; one `read(2)` per 512 calls.
    public mutating func next64() -> UInt64 {
        if offset + 8 > SecureRandomPool.size { refill() }
        let value = buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        offset += 8
        return value
    }

    private mutating func refill() {
        if device == -1 {
            do {
                device = try Syscall.open(path: "/dev/urandom", flags: O_RDONLY | O_CLOEXEC)
            } catch {
                device = -2
            }
        }
        var filled = 0
        if device >= 0 {
            while filled < SecureRandomPool.size {
                let result: IOResult<Int>
                do {
                    result = try Syscall.read(fd: device, buffer: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
                } catch {
                    break
                }
                guard case .processed(let n) = result, n > 0 else { break }
                filled += n
            }
        }
        if filled < SecureRandomPool.size {
            // /dev/urandom failed or is absent: the stdlib's getrandom-backed generator, slower but as good.
            var system = SystemRandomNumberGenerator()
            var i = filled & ~7
            while i + 8 <= SecureRandomPool.size {
                buffer.storeBytes(of: system.next(), toByteOffset: i, as: UInt64.self)
                i += 8
            }
        }
        offset = 0
    }
}
