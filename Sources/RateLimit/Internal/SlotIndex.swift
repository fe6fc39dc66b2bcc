import Synchronization

/// The lock-free hash index of ``AtomicRateLimiter``: a power-of-two array of 64-bit atomic slots,
/// each `0` (empty) or `tag << 32 | (entry + 1)`, probed linearly from the tag's home slot.
///
/// A view over one raw allocation: a 64-byte header holding the mask, then the slots. Writers
/// replace the whole index when it grows and free the old one after a grace period, so a reader
/// may keep probing an index it loaded while a writer publishes the next.
@usableFromInline
struct SlotIndex {
    @usableFromInline static var headerBytes: Int { 64 }

    @usableFromInline let base: UnsafeMutableRawPointer

    @inlinable
    init(_ base: UnsafeMutableRawPointer) {
        self.base = base
    }

    /// Allocates an index of `slots` empty slots (a power of two).
    @usableFromInline
    static func allocate(slots: Int) -> SlotIndex {
        let base = UnsafeMutableRawPointer.allocate(
            byteCount: Self.headerBytes + slots * MemoryLayout<Atomic<UInt64>>.stride,
            alignment: 64
        )
        base.initializeMemory(as: Int.self, repeating: slots - 1, count: 1)
        let slotPointer = (base + Self.headerBytes).bindMemory(to: Atomic<UInt64>.self, capacity: slots)
        for slot in 0..<slots {
            (slotPointer + slot).initialize(to: Atomic(0))
        }
        return SlotIndex(base)
    }

    @usableFromInline
    func deallocate() {
        self.slots.deinitialize(count: self.mask + 1)
        self.base.deallocate()
    }

    /// Slot count minus one. Immutable once the index is published.
    @inlinable
    var mask: Int {
        self.base.load(as: Int.self)
    }

    @inlinable
    var slots: UnsafeMutablePointer<Atomic<UInt64>> {
        (self.base + Self.headerBytes).assumingMemoryBound(to: Atomic<UInt64>.self)
    }

    @inlinable
    static func word(tag: UInt32, entry: Int) -> UInt64 {
        UInt64(tag) << 32 | UInt64(entry + 1)
    }

    @inlinable
    static func tag(of word: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: word >> 32)
    }

    @inlinable
    static func entry(of word: UInt64) -> Int {
        Int(UInt32(truncatingIfNeeded: word)) &- 1
    }
}
