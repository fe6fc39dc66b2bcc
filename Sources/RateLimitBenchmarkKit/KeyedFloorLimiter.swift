import RateLimit
import Synchronization

/// The `floor-keyed` reference row: the least work a decision on an `Int` key needs — one clock
/// read and one compare-and-swap on that key's own word, in a plain array of one word per key
/// indexed by the key itself. No hash, no probe, no read section, no eviction: what is left of an
/// engine when everything that makes it general is taken away, so that an engine's ratio to this
/// row says what its index and its memory reclamation cost.
///
/// Each word is a GCRA theoretical arrival time in nanoseconds, for the policy's capacity and a
/// whole number of nanoseconds per token (exact for the harness's policies, a token a second):
/// the decision is the real arithmetic of a smooth bucket in its simplest units, so a drained key
/// stays denied as it does in the engines. Keys must lie in `0..<keys`: the workloads that use
/// this row draw them there.
package final class KeyedFloorLimiter<Clock: RateLimitClock>: RateLimiter, @unchecked Sendable {
    // @unchecked: `words` is written only through its atomics.
    package typealias Key = Int

    package let policy: BucketPolicy
    @usableFromInline let words: UnsafeMutablePointer<Atomic<Int64>>
    @usableFromInline let count: Int
    @usableFromInline let clock: Clock
    /// Nanoseconds per token.
    @usableFromInline let emission: Int64
    /// `capacity` tokens, in nanoseconds.
    @usableFromInline let tolerance: Int64

    /// A word per key in `0..<keys`, every bucket full.
    package init(policy: BucketPolicy, keys: Int, clock: Clock) {
        precondition(keys > 0, "the keyed floor needs at least one key, not \(keys)")
        self.policy = policy
        self.count = keys
        self.clock = clock
        self.emission = max(1, policy.interval.saturatingNanoseconds / Int64(policy.refill))
        self.tolerance = self.emission * Int64(policy.capacity)
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
        let word = self.words + key
        // Acquiring-and-releasing, as the engines' bucket swaps are (the same `lock cmpxchg` on
        // x86-64): the floor must not be cheaper on a weakly ordered CPU only because it orders
        // less.
        var stored = word.pointee.load(ordering: .relaxed)
        while true {
            let arrival = max(stored, now) &+ Int64(cost) &* self.emission
            guard arrival &- now <= self.tolerance else {
                return RateLimitDecision(
                    isAllowed: false, remaining: 0, limit: self.policy.capacity,
                    retryAfterNanoseconds: arrival &- now &- self.tolerance,
                    resetAfterNanoseconds: max(stored &- now, 0))
            }
            let (exchanged, current) = word.pointee.compareExchange(
                expected: stored, desired: arrival, ordering: .acquiringAndReleasing)
            if exchanged {
                return RateLimitDecision(
                    isAllowed: true, remaining: Int((self.tolerance &- (arrival &- now)) / self.emission),
                    limit: self.policy.capacity, retryAfterNanoseconds: 0, resetAfterNanoseconds: arrival &- now)
            }
            stored = current
        }
    }
}
