extension AtomicRateLimiter: FastPathRateLimiter {
    /// Reads the engine's clock.
    @inlinable
    public func now() -> RateLimitInstant {
        self.clock.instant()
    }

    /// - Complexity: O(1) expected: `acquire(_:cost:)` without the clock read.
    @inlinable
    public func acquire(_ key: Key, cost: Int, at now: RateLimitInstant) -> RateLimitDecision {
        if cost < 0 { negativeCost(cost) }
        let nanoseconds = self.clock.nanoseconds(of: now)
        let hash = self.hashing.hash(key)
        Interleaving.reach(.clockRead)
        if let decision = self.store.decideLockFree(key, hash: hash, cost: cost, now: nanoseconds) {
            return decision
        }
        return self.store.decideLocked(key, hash: hash, cost: cost, now: nanoseconds)
    }

    /// - Complexity: O(1) expected; probes the lock-free index under a read section.
    public func handle(for key: Key) -> BucketHandle<Key> {
        let hash = self.hashing.hash(key)
        return BucketHandle(key: key, owner: self, hash: hash, slot: self.store.slot(of: key, hash: hash))
    }

    /// - Complexity: O(1): on a bucket still where the handle saw it, one slot load and one key
    ///   comparison instead of the hash and the probe.
    @inlinable
    public func acquire(_ handle: BucketHandle<Key>, cost: Int) -> RateLimitDecision {
        if cost < 0 { negativeCost(cost) }
        handle.check(owner: self)
        self.store.prefetch(slot: handle.slot)
        return self.decide(handle, cost: cost, now: self.clock.now())
    }

    /// - Complexity: O(1), as `acquire(_:cost:)` with a handle, without the clock read.
    @inlinable
    public func acquire(_ handle: BucketHandle<Key>, cost: Int, at now: RateLimitInstant) -> RateLimitDecision {
        if cost < 0 { negativeCost(cost) }
        handle.check(owner: self)
        return self.decide(handle, cost: cost, now: self.clock.nanoseconds(of: now))
    }

    @inlinable
    func decide(_ handle: BucketHandle<Key>, cost: Int, now: Int64) -> RateLimitDecision {
        Interleaving.reach(.clockRead)
        if let decision = self.store.decideLockFree(
            handle.key, hash: handle.hash, hint: handle.slot, cost: cost, now: now)
        {
            return decision
        }
        return self.store.decideLocked(handle.key, hash: handle.hash, cost: cost, now: now)
    }
}
