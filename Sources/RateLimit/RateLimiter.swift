/// A token-bucket rate limiter that decides synchronously, in memory: one bucket per client key.
///
/// Three engines ship with this package. They implement the same ``BucketPolicy`` with the same
/// arithmetic and give identical decisions for identical inputs, so choosing one is only about
/// speed and memory:
///
/// | Engine | Design | A decision on a tracked key |
/// |---|---|---|
/// | ``MutexRateLimiter`` | one lock around one hash table | takes the lock |
/// | ``AtomicRateLimiter`` | each bucket is one 64-bit atomic word | no lock: one compare-and-swap in a per-thread read section |
/// | ``ShardedRateLimiter`` | hash-partitioned tables, a lock each | takes one shard's lock |
///
/// ```swift
/// let policy = try BucketPolicy(capacity: 10, refill: 2, every: .seconds(1))
/// let limiter = try AtomicRateLimiter<String>(policy: policy)
/// let decision = limiter.acquire("203.0.113.7")
/// if !decision.isAllowed { /* answer 429, Retry-After: decision.retryAfter */ }
/// ```
///
/// # Implementing an engine
///
/// An engine outside this package can run the same conformance suite as the built-in ones
/// (`RateLimitTesting`). To pass it, an engine must:
///
/// - **Be exact under contention.** The decisions for one key must be linearizable: whatever the
///   number of threads, a bucket admits exactly `capacity` tokens when the clock does not move,
///   and exactly `refill` more per elapsed `interval`. Update a bucket from the state you read
///   (a compare-and-swap loop or a lock), never from a cached copy.
/// - **Never let time run backwards.** A thread may read the clock, be preempted, and act after
///   another thread stored a later time, or dropped the bucket with a later reading. Compute with
///   `max(stored, now)` — with ``BucketPolicy``'s debt arithmetic that is automatic — and decide an
///   absent key as a bucket that was full at the latest reading any drop used (a *drop floor*), so
///   a stale reading can only be stricter.
/// - **Treat cost as all-or-nothing.** `0` peeks without creating or changing a bucket; a cost
///   above the capacity is denied with ``RateLimitDecision/exceedsCapacity`` and changes nothing.
///   A negative cost is a programming error: trap with a message before touching any state, and
///   implement the `async throws` form as `try checkedAcquire(key, cost: cost)` so that callers
///   through ``AsyncRateLimiter`` get ``RateLimitError/Code/invalidCost`` instead.
/// - **Bound memory.** Keep at most a fixed number of buckets. With a drop floor, a dropped full
///   bucket answers like the kept one, so drop full buckets first; evict a bucket that still owes tokens only
///   when no full one is left, and count it (``BoundedRateLimiter``).
/// - **Be `Sendable` and never block on I/O.** `acquire(_:cost:)` runs on request-handling threads.
public protocol RateLimiter<Key>: AsyncRateLimiter {
    /// Takes `cost` tokens from `key`'s bucket if it holds that many, all or nothing.
    ///
    /// - Parameters:
    ///   - key: The client.
    ///   - cost: Tokens this request needs. `0` reads the bucket without changing (or creating)
    ///     it; a cost above the capacity is denied with ``RateLimitDecision/exceedsCapacity``.
    /// - Precondition: `cost >= 0`. A negative cost traps with a message before any state is
    ///   touched; use the `async throws` form to get an error instead.
    func acquire(_ key: Key, cost: Int) -> RateLimitDecision
}

extension RateLimiter {
    /// Takes one token from `key`'s bucket if it has one.
    @inlinable
    public func acquire(_ key: Key) -> RateLimitDecision {
        self.acquire(key, cost: 1)
    }

    /// Takes `cost` tokens from `key`'s bucket, throwing instead of trapping on a negative cost:
    /// the body of the `async throws` form of `acquire` for synchronous engines.
    ///
    /// A synchronous method would itself satisfy ``AsyncRateLimiter``'s `async throws`
    /// requirement — and trap on a negative cost. Engines therefore implement the async form
    /// explicitly, as `try self.checkedAcquire(key, cost: cost)`.
    ///
    /// - Throws: ``RateLimitError/Code/invalidCost`` when `cost < 0`; the bucket is untouched.
    @inlinable
    public func checkedAcquire(_ key: Key, cost: Int) throws(RateLimitError) -> RateLimitDecision {
        guard cost >= 0 else {
            throw RateLimitError.invalidCost(cost, capacity: self.policy.capacity)
        }
        return self.acquire(key, cost: cost)
    }
}

/// An in-memory engine that keeps at most ``maxKeys`` buckets and reports what it dropped.
public protocol BoundedRateLimiter<Key>: RateLimiter {
    /// The most buckets the engine keeps at once.
    var maxKeys: Int { get }

    /// Counters describing the engine's table, read without stopping decisions.
    var statistics: RateLimiterStatistics { get }
}

/// What an engine's table holds and what it has dropped to stay within `maxKeys`.
public struct RateLimiterStatistics: Hashable, Sendable, CustomStringConvertible {
    /// Buckets currently tracked.
    public var trackedKeys: Int
    /// Full buckets dropped to make room or during maintenance. Dropping a full bucket changes no
    /// decision made with a reading at or after the drop; a reading from before it (a thread
    /// preempted meanwhile) is decided as a bucket full since the drop, never more permissively
    /// than the kept bucket would have been.
    public var expiredBuckets: Int
    /// Buckets dropped while still owing tokens, because no full bucket was left to drop. Each one
    /// forgives its client what it owed — at most one window, `capacity` tokens (stepped mode:
    /// rounded up to whole steps) — a number to watch under a key flood.
    public var evictedBuckets: Int
    /// Compare-and-swap attempts that lost a race and were retried (``AtomicRateLimiter`` only).
    public var compareExchangeRetries: Int?

    /// Creates statistics.
    public init(trackedKeys: Int, expiredBuckets: Int, evictedBuckets: Int, compareExchangeRetries: Int? = nil) {
        self.trackedKeys = trackedKeys
        self.expiredBuckets = expiredBuckets
        self.evictedBuckets = evictedBuckets
        self.compareExchangeRetries = compareExchangeRetries
    }

    /// The counters in words, for logs.
    public var description: String {
        var text = "\(self.trackedKeys) tracked, \(self.expiredBuckets) expired, \(self.evictedBuckets) evicted"
        if let retries = self.compareExchangeRetries { text += ", \(retries) CAS retries" }
        return text
    }
}
