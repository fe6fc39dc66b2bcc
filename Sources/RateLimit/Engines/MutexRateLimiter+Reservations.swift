extension MutexRateLimiter: ReservingRateLimiter {
    /// - Complexity: O(1) expected, under the engine's only lock.
    public func schedule(_ key: Key, cost: Int, maxWait: Duration) -> RateLimitSchedule<Key> {
        if cost < 0 { negativeCost(cost) }
        let (step, generation) = self.tables.reserve(
            key, hash: self.hashing.hash(key), shard: 0, cost: cost, maxWaitNanoseconds: maxWait.saturatingNanoseconds,
            now: self.clock.now(), arithmetic: self.arithmetic)
        return step.schedule(key: key, cost: cost, generation: generation, arithmetic: self.arithmetic, limiter: self)
    }

    /// - Precondition: this engine made `reservation`.
    public func cancel(_ reservation: RateLimitReservation<Key>) -> Bool {
        reservation.claimCancellation {
            let (cancellation, generation) = reservation.cancellation(by: self)
            return self.tables.cancel(
                reservation.key, hash: self.hashing.hash(reservation.key), shard: 0, cancellation: cancellation,
                generation: generation, now: self.clock.now(), arithmetic: self.arithmetic)
        }
    }

    /// Sleeps on the engine's clock.
    public func sleep(untilNanoseconds nanoseconds: Int64) async throws {
        try await self.clock.sleep(untilNanoseconds: nanoseconds)
    }
}
