/// One thing a request does to one bucket, as a pure function of the bucket's stored state: an
/// acquisition, a reservation, a cancellation. Every engine runs every operation through the same
/// path — its lock, or its compare-and-swap loop — so each is exact wherever an acquisition is,
/// and a new operation needs no new engine code.
///
/// The paths are generic and `@inlinable`: each operation gets its own specialised copy, so an
/// acquisition compiles to what a path written for it alone would be.
@usableFromInline
package protocol BucketOperation {
    associatedtype Result

    /// The result for an absent key, left absent; `nil` for operations that decide an absent key
    /// as a bucket whose stored state is the table's drop floor (creating it if they take tokens).
    var absentKeyResult: Result? { get }

    /// What the caller is told, and the bucket's new stored state (`nil`: leave it as it is).
    ///
    /// - Parameters:
    ///   - stored: Ticks since the epoch at which the bucket is full (for an absent key, the
    ///     drop floor).
    ///   - nowTicks: The decision's reading, in ticks since the epoch.
    func apply(stored: Int64, nowTicks: Int64, arithmetic: BucketArithmetic) -> (result: Result, newStored: Int64?)
}

/// Takes `cost` tokens if the bucket holds them: ``RateLimiter/acquire(_:cost:)``.
@usableFromInline
package struct Acquisition: BucketOperation {
    @usableFromInline let cost: Int

    @inlinable
    package init(cost: Int) {
        self.cost = cost
    }

    @inlinable
    package var absentKeyResult: RateLimitDecision? { nil }

    @inlinable
    @inline(__always)
    package func apply(
        stored: Int64, nowTicks: Int64, arithmetic: BucketArithmetic
    ) -> (result: RateLimitDecision, newStored: Int64?) {
        // Deciding from `max(stored, now)` (inside `debt`) means a reading older than the stored
        // state can only be stricter.
        let outcome = arithmetic.decide(debt: arithmetic.debt(stored: stored, now: nowTicks), cost: self.cost)
        guard let newDebt = outcome.newDebt else { return (outcome.decision, nil) }
        return (outcome.decision, nowTicks &+ newDebt)
    }
}

/// Takes `cost` tokens now or, waiting at most `maxWaitNanoseconds`, from the future:
/// ``ReservingRateLimiter/schedule(_:cost:maxWait:)``.
@usableFromInline
package struct Reservation: BucketOperation {
    @usableFromInline let cost: Int
    @usableFromInline let maxWaitNanoseconds: Int64

    /// What a reservation did: its outcome, and the stored states before and after it (equal
    /// when the bucket did not change), which a later cancellation checks and restores.
    @usableFromInline
    package struct Step: Sendable {
        @usableFromInline package var outcome: BucketArithmetic.ReservationOutcome
        @usableFromInline package var before: Int64
        @usableFromInline package var after: Int64
        /// The reading it was decided at, in ticks since the epoch.
        @usableFromInline package var nowTicks: Int64

        @inlinable
        init(outcome: BucketArithmetic.ReservationOutcome, before: Int64, after: Int64, nowTicks: Int64) {
            self.outcome = outcome
            self.before = before
            self.after = after
            self.nowTicks = nowTicks
        }
    }

    @inlinable
    package init(cost: Int, maxWaitNanoseconds: Int64) {
        self.cost = cost
        self.maxWaitNanoseconds = maxWaitNanoseconds
    }

    @inlinable
    package var absentKeyResult: Step? { nil }

    @inlinable
    package func apply(stored: Int64, nowTicks: Int64, arithmetic: BucketArithmetic) -> (
        result: Step, newStored: Int64?
    ) {
        let outcome = arithmetic.reserve(
            debt: arithmetic.debt(stored: stored, now: nowTicks), cost: self.cost,
            maxWaitNanoseconds: self.maxWaitNanoseconds)
        guard case .reserved(_, _, let newDebt?) = outcome else {
            return (Step(outcome: outcome, before: stored, after: stored, nowTicks: nowTicks), nil)
        }
        let after = nowTicks &+ newDebt
        return (Step(outcome: outcome, before: stored, after: after, nowTicks: nowTicks), after)
    }
}

/// Gives a reservation's tokens back: restores the state before it, if the bucket is still in the
/// state it left and its time to act has not come. Never creates a bucket.
@usableFromInline
package struct Cancellation: BucketOperation {
    @usableFromInline let before: Int64
    @usableFromInline let after: Int64
    /// The reservation's time to act, in ticks since the epoch.
    @usableFromInline let readyTicks: Int64

    @inlinable
    package init(before: Int64, after: Int64, readyTicks: Int64) {
        self.before = before
        self.after = after
        self.readyTicks = readyTicks
    }

    /// An absent bucket is not the one the reservation changed (it was dropped or evicted):
    /// nothing to give back, even when the floor happens to equal the reservation's state.
    @inlinable
    package var absentKeyResult: Bool? { false }

    @inlinable
    package func apply(stored: Int64, nowTicks: Int64, arithmetic: BucketArithmetic) -> (
        result: Bool, newStored: Int64?
    ) {
        // `stored == after`: no decision took tokens from this bucket since the reservation, so
        // none depends on them. `nowTicks < readyTicks`: they are not in use yet.
        guard stored == self.after, self.after != self.before, nowTicks < self.readyTicks else { return (false, nil) }
        return (true, self.before)
    }
}
