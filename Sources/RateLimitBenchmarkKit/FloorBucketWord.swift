import RateLimit
import Synchronization

/// The decision both keyed reference rows make on a bucket's one word: a GCRA theoretical arrival
/// time in nanoseconds, for the policy's capacity and a whole number of nanoseconds per token
/// (exact for the harness's policies, a token a second). It is the real arithmetic of a smooth
/// bucket in its simplest units, so a drained key stays denied as it does in the engines.
@usableFromInline
struct FloorBucketWord: Sendable {
    @usableFromInline let limit: Int
    /// Nanoseconds per token.
    @usableFromInline let emission: Int64
    /// `capacity` tokens, in nanoseconds.
    @usableFromInline let tolerance: Int64

    init(policy: BucketPolicy) {
        self.limit = policy.capacity
        self.emission = max(1, policy.interval.saturatingNanoseconds / Int64(policy.refill))
        self.tolerance = self.emission * Int64(policy.capacity)
    }

    /// Decides `cost` tokens at `now` on `word`, installing the new state with a compare-and-swap.
    ///
    /// - Complexity: O(1); one compare-and-swap, plus one per concurrent update that won the race.
    @inlinable
    @inline(__always)
    func decide(_ word: borrowing Atomic<Int64>, cost: Int, now: Int64) -> RateLimitDecision {
        // Acquiring-and-releasing, as the engines' bucket swaps are (the same `lock cmpxchg` on
        // x86-64): the floor must not be cheaper on a weakly ordered CPU only because it orders
        // less.
        var stored = word.load(ordering: .relaxed)
        while true {
            let arrival = max(stored, now) &+ Int64(cost) &* self.emission
            guard arrival &- now <= self.tolerance else {
                return RateLimitDecision(
                    isAllowed: false, remaining: 0, limit: self.limit,
                    retryAfterNanoseconds: arrival &- now &- self.tolerance,
                    resetAfterNanoseconds: max(stored &- now, 0))
            }
            let (exchanged, current) = word.compareExchange(
                expected: stored, desired: arrival, ordering: .acquiringAndReleasing)
            if exchanged {
                return RateLimitDecision(
                    isAllowed: true, remaining: Int((self.tolerance &- (arrival &- now)) / self.emission),
                    limit: self.limit, retryAfterNanoseconds: 0, resetAfterNanoseconds: arrival &- now)
            }
            stored = current
        }
    }
}
