import CRateLimitShims
import RateLimit
import Synchronization

/// The `floor-probed` reference row: the least work a decision on a *hashed* key needs when the
/// bucket's word sits in the probed slot itself — the layout an engine would need for one cache
/// miss per decision instead of two (index slot, then entry).
///
/// Each slot is a 16-byte cell {key, word}, in an open-addressing table of a power of two of
/// slots at most 3/4 full (the engines' index rule). A decision hashes the `Int` key with
/// ``RateLimitKeyHasher`` under a random seed (as the engines do), prefetches the home cell, reads
/// the clock, probes linearly comparing keys, and decides on the word found there, as
/// ``FloorBucketWord`` does. Every key of `0..<keys` is inserted up front and nothing is ever
/// removed, so there is no read section, no eviction and no reclamation: what this row costs
/// more than `floor-keyed` is the hash and the probe; what an engine costs more than this row is
/// its second dependent load, its read section and its generality.
package final class ProbedFloorLimiter<Clock: RateLimitClock>: RateLimiter, @unchecked Sendable {
    // @unchecked: keys are written once, before the limiter is shared; words only through their
    // atomics.
    package typealias Key = Int

    @usableFromInline
    struct Cell: ~Copyable {
        @usableFromInline let key: Int
        @usableFromInline let word: Atomic<Int64>
    }

    /// Marks an empty cell: keys lie in `0..<keys`.
    @usableFromInline static var emptyKey: Int { -1 }

    package let policy: BucketPolicy
    @usableFromInline let cells: UnsafeMutablePointer<Cell>
    @usableFromInline let mask: Int
    @usableFromInline let count: Int
    @usableFromInline let seed: UInt64
    @usableFromInline let clock: Clock
    @usableFromInline let bucket: FloorBucketWord

    /// A cell per key in `0..<keys`, every bucket full.
    ///
    /// - Parameter seed: The hash's seed, for tests that need to know the layout; `nil` draws one.
    package init(policy: BucketPolicy, keys: Int, clock: Clock, seed: UInt64? = nil) {
        precondition(keys > 0, "the probed floor needs at least one key, not \(keys)")
        self.policy = policy
        self.count = keys
        self.clock = clock
        self.bucket = FloorBucketWord(policy: policy)
        var generator = SystemRandomNumberGenerator()
        self.seed = seed ?? generator.next()
        var slots = 2
        while slots * 3 < keys * 4 { slots <<= 1 }
        self.mask = slots - 1
        // Cache-line aligned: a 16-byte cell never straddles two lines.
        self.cells = UnsafeMutableRawPointer.allocate(
            byteCount: slots * MemoryLayout<Cell>.stride, alignment: 64
        ).bindMemory(to: Cell.self, capacity: slots)
        for slot in 0..<slots {
            (self.cells + slot).initialize(to: Cell(key: Self.emptyKey, word: Atomic(0)))
        }
        for key in 0..<keys {
            var slot = self.home(key)
            while self.cells[slot].key != Self.emptyKey { slot = (slot &+ 1) & self.mask }
            (self.cells + slot).deinitialize(count: 1)
            (self.cells + slot).initialize(to: Cell(key: key, word: Atomic(0)))
        }
    }

    deinit {
        // `Cell` holds an `Int` and an `Atomic`, both trivially destroyed.
        UnsafeMutableRawPointer(self.cells).deallocate()
    }

    /// `key`'s home slot, as the engines find it: the tag of its hash, masked (``HashTag``).
    @inlinable
    @inline(__always)
    func home(_ key: Int) -> Int {
        var hasher = RateLimitKeyHasher(seed: self.seed)
        hasher.combine(UInt64(UInt(bitPattern: key)))
        return HashTag.home(HashTag.tag(hasher.finalize()), mask: self.mask)
    }

    /// The longest walk of a probe, in slots past a key's home slot (for tests).
    package var longestProbe: Int {
        (0..<self.count).map { key in
            var slot = self.home(key)
            var steps = 0
            while self.cells[slot].key != key {
                slot = (slot &+ 1) & self.mask
                steps += 1
            }
            return steps
        }.max() ?? 0
    }

    @inlinable
    package func acquire(_ key: Int, cost: Int) -> RateLimitDecision {
        precondition(UInt(bitPattern: key) < UInt(bitPattern: self.count), "key \(key) outside 0..<\(self.count)")
        var slot = self.home(key)
        // As the atomic engine does: the cell's miss overlaps the clock read.
        crl_prefetch(self.cells + slot)
        let now = self.clock.monotonicNanoseconds()
        // Every key in range was inserted, so the probe ends at it.
        while self.cells[slot].key != key { slot = (slot &+ 1) & self.mask }
        return self.bucket.decide(self.cells[slot].word, cost: cost, now: now)
    }
}
