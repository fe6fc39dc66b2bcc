import RateLimit
import Synchronization

/// The `floor-keyed` reference row: the least work a decision on an `Int` key needs — one clock
/// read and one compare-and-swap on that key's own word, in a plain array of one word per key
/// indexed by the key itself. No hash, no probe, no read section, no eviction: what is left of an
/// engine when everything that makes it general is taken away, so that an engine's ratio to this
/// row says what its index and its memory reclamation cost.
///
/// Each word is a bucket's whole state, decided as ``FloorBucketWord`` does. Keys must lie in
/// `0..<keys`: the workloads that use this row draw them there.
package final class KeyedFloorLimiter<Clock: RateLimitClock>: RateLimiter, @unchecked Sendable {
    // @unchecked: `words` is written only through its atomics.
    package typealias Key = Int

    package let policy: BucketPolicy
    @usableFromInline let words: UnsafeMutablePointer<Atomic<Int64>>
    @usableFromInline let count: Int
    @usableFromInline let clock: Clock
    @usableFromInline let bucket: FloorBucketWord

    /// A word per key in `0..<keys`, every bucket full.
    package init(policy: BucketPolicy, keys: Int, clock: Clock) {
        precondition(keys > 0, "the keyed floor needs at least one key, not \(keys)")
        self.policy = policy
        self.count = keys
        self.clock = clock
        self.bucket = FloorBucketWord(policy: policy)
        self.words = .allocate(capacity: keys)
        // Packed like the engines' entries: neighbouring keys share cache lines.
        for key in 0..<keys {
            (self.words + key).initialize(to: Atomic(0))
        }
    }

    deinit {
        // `Atomic` is trivially destroyed: nothing to deinitialize.
        self.words.deallocate()
    }

    @inlinable
    package func acquire(_ key: Int, cost: Int) -> RateLimitDecision {
        precondition(UInt(bitPattern: key) < UInt(bitPattern: self.count), "key \(key) outside 0..<\(self.count)")
        let now = self.clock.monotonicNanoseconds()
        return self.bucket.decide(self.words[key], cost: cost, now: now)
    }
}
