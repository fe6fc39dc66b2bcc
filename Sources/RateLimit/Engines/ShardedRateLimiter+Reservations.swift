extension ShardedRateLimiter: ReservingRateLimiter {
    /// - Complexity: O(1) expected, under one shard's lock.
    public func schedule(_ key: Key, cost: Int, maxWait: Duration) -> RateLimitSchedule<Key> {
        if cost < 0 { negativeCost(cost) }
        let hash = self.hashing.hash(key)
        let (step, generation) = self.tables.reserve(
            key, hash: hash, shard: hash & self.shardMask, cost: cost,
            maxWaitNanoseconds: maxWait.saturatingNanoseconds, now: self.clock.now(), arithmetic: self.arithmetic)
        return step.schedule(key: key, cost: cost, generation: generation, arithmetic: self.arithmetic, limiter: self)
    }

    /// - Precondition: this engine made `reservation`.
    public func cancel(_ reservation: RateLimitReservation<Key>) -> Bool {
        reservation.claimCancellation {
            let (cancellation, generation) = reservation.cancellation(by: self)
            let hash = self.hashing.hash(reservation.key)
            return self.tables.cancel(
                reservation.key, hash: hash, shard: hash & self.shardMask, cancellation: cancellation,
                generation: generation, now: self.clock.now(), arithmetic: self.arithmetic)
        }
    }

    /// Sleeps on the engine's clock.
    public func sleep(untilNanoseconds nanoseconds: Int64) async throws {
        try await self.clock.sleep(untilNanoseconds: nanoseconds)
    }
}
