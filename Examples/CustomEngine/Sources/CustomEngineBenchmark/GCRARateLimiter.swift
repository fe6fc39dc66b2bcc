import RateLimit
import Synchronization

/// A user-written engine: the generic cell rate algorithm (GCRA) behind one `Mutex` around a
/// dictionary. Each key keeps one number, its *theoretical arrival time* (TAT): a bucket is full
/// when the TAT is in the past, and a request of `cost` tokens moves it `cost` emission intervals
/// later. With smooth refill that is the same limit as a token bucket of `capacity` tokens.
///
/// Times are kept in ticks of `1 / refill` nanoseconds, so that the emission interval
/// (`interval / refill`) is a whole number of ticks and nothing is rounded.
final class GCRARateLimiter<Key: Hashable & Sendable>: RateLimiter {
    let policy: BucketPolicy
    private let maxKeys: Int
    private let clock: any RateLimitClock
    /// Ticks per token, and the most a TAT may run ahead of now: the whole bucket.
    private let emission: Int64
    private let tolerance: Int64
    private let arrivals: Mutex<[Key: Int64]>

    /// - Throws: `RateLimitError` for interval refill (this example refills smoothly only), or for
    ///   a policy whose ticks could overflow (refill above 16 tokens per interval).
    init(policy: BucketPolicy, maxKeys: Int, clock: some RateLimitClock) throws {
        guard policy.mode == .smooth else {
            throw RateLimitError(code: .invalidPolicy, message: "invalid mode \(policy.mode): must be smooth")
        }
        guard (1...16).contains(policy.refill) else {
            throw RateLimitError(code: .invalidPolicy, message: "invalid refill \(policy.refill): must be in 1...16")
        }
        guard maxKeys >= 1 else {
            throw RateLimitError(code: .invalidConfiguration, message: "invalid maxKeys \(maxKeys): must be at least 1")
        }
        self.policy = policy
        self.maxKeys = maxKeys
        self.clock = clock
        self.emission =
            Int64(policy.interval.components.seconds) * 1_000_000_000
            + policy.interval.components.attoseconds / 1_000_000_000
        self.tolerance = self.emission * Int64(policy.capacity)
        self.arrivals = Mutex([:])
    }

    func acquire(_ key: Key, cost: Int) -> RateLimitDecision {
        precondition(cost >= 0, "cost must not be negative, got \(cost)")
        guard cost <= self.policy.capacity else {
            return RateLimitDecision(
                isAllowed: false, remaining: 0, limit: self.policy.capacity, retryAfterNanoseconds: .max,
                resetAfterNanoseconds: 0, exceedsCapacity: true)
        }
        return self.arrivals.withLock { arrivals in
            // Read under the lock: readings then follow the order of the decisions, so no stale
            // reading meets a newer state (or a bucket dropped with a newer one).
            let now = self.clock.monotonicNanoseconds() * Int64(self.policy.refill)
            let arrival = max(arrivals[key] ?? now, now)
            let next = arrival + Int64(cost) * self.emission
            let refill = Int64(self.policy.refill)
            guard next - now <= self.tolerance else {
                let retry = (next - now - self.tolerance + refill - 1) / refill
                return self.decision(false, arrival: arrival, now: now, retryAfter: retry)
            }
            if cost > 0 {
                if arrivals[key] == nil && arrivals.count >= self.maxKeys {
                    Self.makeRoom(&arrivals, now: now, maxKeys: self.maxKeys)
                }
                arrivals[key] = next
            }
            return self.decision(true, arrival: next, now: now, retryAfter: 0)
        }
    }

    func acquire(_ key: Key, cost: Int) async throws -> RateLimitDecision {
        try self.checkedAcquire(key, cost: cost)
    }

    private func decision(_ allowed: Bool, arrival: Int64, now: Int64, retryAfter: Int64) -> RateLimitDecision {
        let owed = max(arrival - now, 0)
        let refill = Int64(self.policy.refill)
        return RateLimitDecision(
            isAllowed: allowed,
            remaining: Int((self.tolerance - owed) / self.emission),
            limit: self.policy.capacity,
            retryAfterNanoseconds: retryAfter,
            resetAfterNanoseconds: (owed + refill - 1) / refill)
    }

    /// Drops every full bucket (TAT in the past: forgetting it changes no answer) and, if that
    /// leaves less than an eighth of the table free, buckets that still owe tokens until it does
    /// (each such eviction forgives a debt): one scan pays for many inserts under a key flood.
    private static func makeRoom(_ arrivals: inout [Key: Int64], now: Int64, maxKeys: Int) {
        arrivals = arrivals.filter { $0.value > now }
        let target = maxKeys - max(maxKeys / 8, 1)
        while arrivals.count > target {
            arrivals.remove(at: arrivals.startIndex)
        }
    }
}
