/// Reservations: a request that may take its tokens from the future.
///
/// A reservation of `cost` tokens that the bucket cannot serve now is decided as the same request
/// at the earliest moment it would fit — `retryAfter` of the denial, `w` ns from now — and the
/// bucket is updated as that decision would update it. Because a bucket's state is the absolute
/// time at which it is full again, that is one more update of the same word: the stored time moves
/// past the current window by up to the wait, and every later request, reservation or not, sees
/// the reserved tokens as spent. So waiters are served in the order they reserved, at exactly the
/// policy's rate, and a plain ``decide(debt:cost:)`` on a bucket that carries reservations denies
/// with a `retryAfter` that counts them.
extension BucketArithmetic {
    /// What a reservation does to a bucket.
    @usableFromInline
    package enum ReservationOutcome: Sendable {
        /// Served after `waitNanoseconds` (0: at once): what the caller is told, as of that moment,
        /// and the bucket's new debt relative to *now* (`nil` for a peek).
        case reserved(decision: RateLimitDecision, waitNanoseconds: Int64, newDebt: Int64?)
        /// It would wait `waitNanoseconds`, more than allowed; the bucket is unchanged.
        case tooLate(waitNanoseconds: Int64)
        /// The cost exceeds the capacity: no wait serves it.
        case exceedsCapacity(RateLimitDecision)
    }

    /// Applies a reservation of `cost` tokens, waiting at most `maxWaitNanoseconds`, to a bucket
    /// with `debt` ticks of debt.
    ///
    /// A reservation is refused as too late also when the debt it leaves would pass
    /// ``BucketPolicy/maximumWindowTicks`` (2⁶¹ ticks: 73 years at one tick per nanosecond), the
    /// range every engine's state word is proven for.
    ///
    /// - Precondition: `cost >= 0` and `debt >= 0`.
    /// - Complexity: O(1): at most two ``decide(debt:cost:)``.
    @inlinable
    package func reserve(debt: Int64, cost: Int, maxWaitNanoseconds: Int64) -> ReservationOutcome {
        let now = self.decide(debt: debt, cost: cost)
        if now.decision.isAllowed {
            // Served at once, exactly as a plain decision — unless even no wait is too long.
            guard maxWaitNanoseconds >= 0 else { return .tooLate(waitNanoseconds: 0) }
            return .reserved(decision: now.decision, waitNanoseconds: 0, newDebt: now.newDebt)
        }
        if now.decision.exceedsCapacity {
            return .exceedsCapacity(now.decision)
        }
        let wait = now.decision.retryAfterNanoseconds
        guard wait <= maxWaitNanoseconds else { return .tooLate(waitNanoseconds: wait) }
        // The debt is below 2⁶² + 2⁶¹ ticks (a stale reading included) and the wait is at most what it takes to pay it, so
        // neither product nor difference overflows.
        let waitTicks = wait &* self.ticksPerNanosecond
        let later = self.decide(debt: max(0, debt &- waitTicks), cost: cost)
        guard let laterDebt = later.newDebt, later.decision.isAllowed else {
            preconditionFailure("a request denied with retryAfter \(wait) ns did not fit \(wait) ns later")
        }
        let newDebt = waitTicks &+ laterDebt
        guard newDebt <= BucketPolicy.maximumWindowTicks else { return .tooLate(waitNanoseconds: wait) }
        return .reserved(decision: later.decision, waitNanoseconds: wait, newDebt: newDebt)
    }
}
