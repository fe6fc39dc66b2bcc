// From what a reservation did in an engine's table to what its caller holds, and back: shared by
// the three engines so that their reservations and cancellations are built one way.
extension Reservation.Step {
    /// The caller's answer. `generation` is the table's, read under the same lock as the step.
    @inlinable
    func schedule<Key: Hashable & Sendable>(
        key: Key,
        cost: Int,
        generation: BucketGeneration,
        arithmetic: BucketArithmetic,
        limiter: any ReservingRateLimiter<Key>
    ) -> RateLimitSchedule<Key> {
        switch self.outcome {
        case .exceedsCapacity(let decision):
            return .exceedsCapacity(decision)
        case .tooLate(let wait):
            return .wouldWait(nanoseconds: wait)
        case .reserved(let decision, let wait, _):
            // The step's reading in ticks is exact nanoseconds since the epoch times M (a reading
            // older than the epoch counts as the epoch): its time to act is that plus the wait.
            let decidedAt = generation.epoch &+ self.nowTicks / arithmetic.ticksPerNanosecond
            // Saturating: a clock whose readings are near Int64.max must not wrap the deadline
            // into the past (the waiter would act at once).
            let (sum, overflow) = decidedAt.addingReportingOverflow(wait)
            let readyAt = overflow ? Int64.max : sum
            let ticket = RateLimitReservation<Key>.Ticket(
                before: self.before,
                after: self.after,
                ready: self.nowTicks &+ wait &* arithmetic.ticksPerNanosecond,
                epoch: generation.epoch,
                evictions: generation.evictions
            )
            return .reserved(
                RateLimitReservation(
                    key: key, cost: cost, decision: decision, delayNanoseconds: wait,
                    readyAtNanoseconds: readyAt, ticket: ticket, limiter: limiter))
        }
    }
}

extension RateLimitReservation {
    /// The cancellation of this reservation, and the generation it needs, after checking that
    /// `engine` made it.
    func cancellation(by engine: AnyObject) -> (Cancellation, BucketGeneration) {
        let owner = self.limiter as AnyObject
        if owner !== engine {
            preconditionFailure(
                "RateLimitReservation was made by another engine (\(type(of: owner)) at \(ObjectIdentifier(owner))) "
                    + "than the one cancelling it (\(type(of: engine)) at \(ObjectIdentifier(engine))); call its cancel()"
            )
        }
        return (
            Cancellation(before: self.ticket.before, after: self.ticket.after, readyTicks: self.ticket.ready),
            BucketGeneration(epoch: self.ticket.epoch, evictions: self.ticket.evictions)
        )
    }
}
