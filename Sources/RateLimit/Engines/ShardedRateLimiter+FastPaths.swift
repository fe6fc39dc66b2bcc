extension ShardedRateLimiter: FastPathRateLimiter {
    /// Reads the engine's clock.
    @inlinable
    public func now() -> RateLimitInstant {
        self.clock.instant()
    }

    /// - Complexity: O(1) expected, under one shard's lock: `acquire(_:cost:)` without the clock read.
    @inlinable
    public func acquire(_ key: Key, cost: Int, at now: RateLimitInstant) -> RateLimitDecision {
        if cost < 0 { negativeCost(cost) }
        let nanoseconds = self.clock.nanoseconds(of: now)
        let hash = self.hashing.hash(key)
        return self.tables.decide(
            key, hash: hash, shard: hash & self.shardMask, cost: cost, now: nanoseconds, arithmetic: self.arithmetic)
    }

    /// - Complexity: O(1) expected, under one shard's lock.
    public func handle(for key: Key) -> BucketHandle<Key> {
        let hash = self.hashing.hash(key)
        let slot = self.tables.withLock(hash & self.shardMask) { $0.slot(of: key, hash: hash) }
        return BucketHandle(key: key, owner: self, hash: hash, slot: slot)
    }

    /// - Complexity: O(1), under one shard's lock: on a bucket still where the handle saw it, one slot
    ///   check instead of the hash and the probe.
    @inlinable
    public func acquire(_ handle: BucketHandle<Key>, cost: Int) -> RateLimitDecision {
        if cost < 0 { negativeCost(cost) }
        handle.check(owner: self)
        return self.tables.decide(
            handle.key, hash: handle.hash, hint: handle.slot, shard: handle.hash & self.shardMask, cost: cost,
            clock: self.clock, arithmetic: self.arithmetic)
    }

    /// - Complexity: O(1), as `acquire(_:cost:)` with a handle, without the clock read.
    @inlinable
    public func acquire(_ handle: BucketHandle<Key>, cost: Int, at now: RateLimitInstant) -> RateLimitDecision {
        if cost < 0 { negativeCost(cost) }
        handle.check(owner: self)
        return self.tables.decide(
            handle.key, hash: handle.hash, hint: handle.slot, shard: handle.hash & self.shardMask, cost: cost,
            now: self.clock.nanoseconds(of: now), arithmetic: self.arithmetic)
    }
}
