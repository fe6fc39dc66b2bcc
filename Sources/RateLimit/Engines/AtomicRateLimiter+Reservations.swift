// Reservations and cancellations take the writer lock: they read the store's generation (its
// eviction count and epoch) with the bucket's state, which only lock holders change together.
// Acquisitions on the same keys stay lock-free; the compare-and-swap orders them with these.
extension AtomicRateLimiter: ReservingRateLimiter {
    /// - Complexity: O(1) expected, under the engine's writer lock.
    public func schedule(_ key: Key, cost: Int, maxWait: Duration) -> RateLimitSchedule<Key> {
        if cost < 0 { negativeCost(cost) }
        let (step, generation) = self.store.reserve(
            key, hash: self.hashing.hash(key), cost: cost, maxWaitNanoseconds: maxWait.saturatingNanoseconds,
            now: self.clock.now())
        return step.schedule(
            key: key, cost: cost, generation: generation, arithmetic: self.store.arithmetic, limiter: self)
    }

    /// - Precondition: this engine made `reservation`.
    public func cancel(_ reservation: RateLimitReservation<Key>) -> Bool {
        reservation.claimCancellation {
            let (cancellation, generation) = reservation.cancellation(by: self)
            return self.store.cancel(
                reservation.key, hash: self.hashing.hash(reservation.key), cancellation: cancellation,
                generation: generation, now: self.clock.now())
        }
    }

    /// Sleeps on the engine's clock.
    public func sleep(untilNanoseconds nanoseconds: Int64) async throws {
        try await self.clock.sleep(untilNanoseconds: nanoseconds)
    }
}
