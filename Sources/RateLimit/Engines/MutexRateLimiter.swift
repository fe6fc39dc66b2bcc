/// The baseline engine: one lock around one hash table.
///
/// Every decision takes the lock, so decisions never run in parallel: simple, exact, and the
/// fastest choice on one thread or when few threads decide at once. Under contention the lock
/// becomes the bottleneck; see ``ShardedRateLimiter`` and ``AtomicRateLimiter``.
///
/// ## Memory
/// Each tracked key costs `MemoryLayout<Key>.stride + 12` bytes per slot at a load of 3/8 to 3/4
/// (one 4-byte hash tag, one 8-byte state, the key): 27–53 bytes for an `Int` key. The table
/// grows by doubling up to `maxKeys` and never beyond; see ``BoundedRateLimiter``.
public final class MutexRateLimiter<Key: Hashable & Sendable>: BoundedRateLimiter, @unchecked Sendable {
    // @unchecked: `tables` is raw memory, and every access to it holds the table's lock.

    /// The policy every bucket follows.
    public let policy: BucketPolicy
    /// The most buckets the engine keeps at once.
    public let maxKeys: Int
    @usableFromInline let arithmetic: BucketArithmetic
    @usableFromInline let clock: ClockSource
    @usableFromInline let tables: LockedShards<BucketTable<Key>>
    @usableFromInline let hashing = KeyHashing<Key>()

    /// Creates an engine.
    ///
    /// - Parameters:
    ///   - policy: The policy of every bucket.
    ///   - maxKeys: The most buckets kept at once, in `1...2³⁰`; ``RateLimiterDefaults/maxKeys``
    ///     by default.
    ///   - clock: The time source; ``MonotonicClock`` by default.
    /// - Throws: ``RateLimitError/Code/invalidConfiguration`` for a `maxKeys` out of range.
    public init(
        policy: BucketPolicy,
        maxKeys: Int = RateLimiterDefaults.maxKeys,
        clock: some RateLimitClock = MonotonicClock()
    ) throws(RateLimitError) {
        try RateLimiterDefaults.validate(maxKeys: maxKeys)
        self.policy = policy
        self.maxKeys = maxKeys
        self.arithmetic = policy.arithmetic
        self.clock = ClockSource(clock)
        let epoch = self.clock.now()
        self.tables = LockedShards(count: 1) { _ in BucketTable(maxKeys: maxKeys, epoch: epoch) }
    }

    /// - Complexity: O(1) expected, under the engine's only lock.
    @inlinable
    public func acquire(_ key: Key, cost: Int) -> RateLimitDecision {
        if cost < 0 { negativeCost(cost) }
        return self.tables.decide(
            key, hash: self.hashing.hash(key), shard: 0, cost: cost, clock: self.clock, arithmetic: self.arithmetic)
    }

    /// Takes `cost` tokens from `key`'s bucket, throwing ``RateLimitError/Code/invalidCost`` on a
    /// negative cost instead of trapping. In `async` code a call to `acquire` resolves to this form.
    @inlinable
    public func acquire(_ key: Key, cost: Int) async throws -> RateLimitDecision {
        try self.checkedAcquire(key, cost: cost)
    }

    /// What the table holds and has dropped, read under the engine's lock(s).
    public var statistics: RateLimiterStatistics {
        self.tables.statistics()
    }

    /// The longest walk of a probe in any table now, in slots past a key's home slot.
    package var longestProbe: Int {
        self.tables.longestProbe()
    }
}
