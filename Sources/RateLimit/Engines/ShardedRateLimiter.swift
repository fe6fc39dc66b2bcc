/// Hash-partitioned tables, each with its own lock: decisions on keys in different shards run in
/// parallel.
///
/// A key's hash picks its shard, so a key always lives in exactly one shard and its decisions are
/// serialised by that shard's lock, exactly like ``MutexRateLimiter``'s. Shards sit 128 bytes
/// apart so that two shards never share a cache line.
///
/// ## Shards and memory
/// The shard count is a power of two; by default the next power of two at or above sixteen times
/// the number of CPUs this process may run on (``defaultShardCount``), so that two threads rarely
/// want the same shard: a thread that finds its shard taken may end up sleeping in the kernel,
/// which costs microseconds (and far more when the holder's CPU is preempted). Against four times
/// the CPUs, sixteen times made two threads 1.26–1.33 × faster on keyed workloads on a 2-CPU
/// machine, one thread unchanged (`results/x86_64-2c-amd-epyc/2026-12-07-churn.md`). A small
/// `maxKeys` gets fewer shards: at least ``minimumKeysPerDefaultShard`` keys each.
///
/// Each shard keeps at most `maxKeys / shards` buckets, so the engine never holds more than
/// `maxKeys`; with a skewed key distribution one shard may start dropping buckets before the
/// engine as a whole is full. Per key, memory is that of ``MutexRateLimiter``.
public final class ShardedRateLimiter<Key: Hashable & Sendable>: BoundedRateLimiter, @unchecked Sendable {
    // @unchecked: `tables` is raw memory, and every access to a shard holds that shard's lock.

    /// The policy every bucket follows.
    public let policy: BucketPolicy
    /// The most buckets the engine keeps at once.
    public let maxKeys: Int
    /// The number of shards, a power of two.
    public let shardCount: Int
    @usableFromInline let shardMask: Int
    @usableFromInline let arithmetic: BucketArithmetic
    @usableFromInline let clock: ClockSource
    @usableFromInline let tables: LockedShards<BucketTable<Key>>
    @usableFromInline let hashing = KeyHashing<Key>()

    /// The shard count used when none is given: the next power of two at or above sixteen times
    /// ``RateLimiterDefaults/activeProcessorCount``.
    public static var defaultShardCount: Int {
        var shards = 1
        while shards < 16 * RateLimiterDefaults.activeProcessorCount { shards <<= 1 }
        return shards
    }

    /// The largest shard count accepted.
    public static var maximumShardCount: Int { 1 << 16 }

    /// The fewest keys a shard holds when the engine picks the shard count: 16, the buckets one
    /// insert into a full table examines. With fewer, two keys that share a shard would evict
    /// each other long before the engine as a whole is full.
    public static var minimumKeysPerDefaultShard: Int { 16 }

    /// Creates an engine.
    ///
    /// - Parameters:
    ///   - policy: The policy of every bucket.
    ///   - maxKeys: The most buckets kept at once, in `1...2³⁰`; ``RateLimiterDefaults/maxKeys``
    ///     by default.
    ///   - clock: The time source; ``MonotonicClock`` by default.
    ///   - shards: A power of two in `1...65536` and at most `maxKeys`; by default
    ///     ``defaultShardCount``, halved until each shard holds at least
    ///     ``minimumKeysPerDefaultShard`` keys (one shard for a `maxKeys` below 32).
    /// - Throws: ``RateLimitError/Code/invalidConfiguration`` for a `maxKeys` or `shards` out of range.
    public init(
        policy: BucketPolicy,
        maxKeys: Int = RateLimiterDefaults.maxKeys,
        clock: some RateLimitClock = MonotonicClock(),
        shards: Int? = nil
    ) throws(RateLimitError) {
        try RateLimiterDefaults.validate(maxKeys: maxKeys)
        let shardCount: Int
        if let shards {
            let largest = min(Self.maximumShardCount, maxKeys)
            guard shards >= 1, shards <= largest, shards & (shards - 1) == 0 else {
                throw .invalidConfiguration(
                    "shards", shards, allowed: "a power of two in 1...\(largest) (at most maxKeys \(maxKeys))")
            }
            shardCount = shards
        } else {
            var count = Self.defaultShardCount
            while count > 1 && maxKeys / count < Self.minimumKeysPerDefaultShard { count >>= 1 }
            shardCount = count
        }
        self.policy = policy
        self.maxKeys = maxKeys
        self.shardCount = shardCount
        self.shardMask = shardCount - 1
        self.arithmetic = policy.arithmetic
        self.clock = ClockSource(clock)
        let epoch = self.clock.now()
        self.tables = LockedShards(count: shardCount) { _ in BucketTable(maxKeys: maxKeys / shardCount, epoch: epoch) }
    }

    /// - Complexity: O(1) expected, under one shard's lock.
    @inlinable
    public func acquire(_ key: Key, cost: Int) -> RateLimitDecision {
        if cost < 0 { negativeCost(cost) }
        let hash = self.hashing.hash(key)
        // The low bits pick the shard; the table uses the high bits (see `HashTag`).
        return self.tables.decide(
            key, hash: hash, shard: hash & self.shardMask, cost: cost, clock: self.clock, arithmetic: self.arithmetic
        )
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
