/// An engine that can take tokens from the future: reservations, and waiting for tokens.
///
/// Half of all rate limiting guards *outgoing* calls: a job that may call a third-party API 20
/// times per second should wait for its turn, not fail. ``wait(_:cost:timeout:)`` does that:
///
/// ```swift
/// let upstream = try AtomicRateLimiter<String>(
///     policy: try BucketPolicy(capacity: 1, refill: 20, every: .seconds(1)))
/// try await upstream.wait("api.example.com")  // returns at this caller's turn
/// ```
///
/// A reservation takes its tokens at once — from the bucket's future when it is empty — so waiters
/// on one key are served in the order they reserved, at exactly the policy's rate, and plain
/// ``RateLimiter/acquire(_:cost:)`` calls on the same key see the reserved tokens as spent. A bucket
/// can thus owe more than one window: up to 2⁶¹ ticks (73 years at one tick per nanosecond), past
/// which reservations are refused as too late.
///
/// Reservations are decisions like any other: the engines' exactness (admitted tokens never exceed
/// `capacity` plus what `refill` earns, counting each reservation at the moment it may act) and
/// bounds hold for any mix of acquisitions and reservations, and the conformance suite checks them
/// at 1–32 threads. ``AtomicRateLimiter`` takes its writer lock for reservations and
/// cancellations; its acquisitions stay lock-free.
public protocol ReservingRateLimiter<Key>: RateLimiter {
    /// Takes `cost` tokens from `key`'s bucket now, or — when it holds too few — from its future,
    /// if their turn comes within `maxWait`.
    ///
    /// - Parameters:
    ///   - key: The client.
    ///   - cost: Tokens to take, in `0...capacity` to be served (more is refused as
    ///     ``RateLimitSchedule/exceedsCapacity(_:)``); `0` reads without changing anything.
    ///   - maxWait: The longest delay accepted, in whole nanoseconds (a fraction is dropped);
    ///     `.zero` takes only tokens available now, a negative duration none at all.
    /// - Precondition: `cost >= 0`; a negative cost traps with a message before any state is
    ///   touched (``wait(_:cost:timeout:)`` throws instead).
    /// - Complexity: O(1) expected, like `acquire`.
    func schedule(_ key: Key, cost: Int, maxWait: Duration) -> RateLimitSchedule<Key>

    /// Gives a reservation's tokens back to its bucket — exactly when no later decision can depend
    /// on them:
    /// - the reservation's time to act has not come (its tokens are not in use), and
    /// - no decision has taken tokens from, or reserved on, that key since (the bucket is still in
    ///   the state the reservation left), and
    /// - the engine has not evicted a bucket that owed tokens, nor rebased, since (so the bucket is
    ///   certainly the one the reservation changed).
    ///
    /// Otherwise it returns nothing and changes nothing: later reservations keep their turns, so
    /// cancelling never lets a newer waiter overtake an older one. A cancelled reservation's
    /// tokens count as never taken; one cancelled too late counts as used. A reservation gives its
    /// tokens back once at most (``RateLimitReservation/claimCancellation(_:)``).
    ///
    /// - Returns: Whether the tokens went back.
    func cancel(_ reservation: RateLimitReservation<Key>) -> Bool

    /// Suspends until the engine's clock reads `nanoseconds` or later.
    ///
    /// - Throws: `CancellationError` if the task is cancelled first.
    func sleep(untilNanoseconds nanoseconds: Int64) async throws
}

extension ReservingRateLimiter {
    /// Takes `cost` tokens now or, waiting at most `maxWait`, from the bucket's future; `nil`
    /// (nothing taken) when the wait would be longer or the cost exceeds the capacity.
    ///
    /// - Precondition: `cost >= 0`.
    @inlinable
    public func reserve(_ key: Key, cost: Int = 1, maxWait: Duration) -> RateLimitReservation<Key>? {
        guard case .reserved(let reservation) = self.schedule(key, cost: cost, maxWait: maxWait) else { return nil }
        return reservation
    }

    /// Waits for `cost` tokens of `key`'s bucket, then returns the decision as of that moment.
    ///
    /// Reserves at once, then sleeps on the engine's clock until the reservation's turn: waiters on
    /// one key are served in the order they reserved (waiters sharing a turn wake together).
    ///
    /// - Parameters:
    ///   - key: The client.
    ///   - cost: Tokens to take, in `0...capacity`.
    ///   - timeout: The longest wait accepted; `nil` waits as long as it takes.
    /// - Throws: ``RateLimitError/Code/wouldExceedTimeout``, at once and taking nothing, when the
    ///   wait would exceed `timeout` (the message names the wait needed);
    ///   ``RateLimitError/Code/invalidCost`` for a negative cost or one above the capacity (never
    ///   served); `CancellationError` when the task is cancelled while waiting — the reservation is
    ///   then cancelled (``cancel(_:)``).
    public func wait(_ key: Key, cost: Int = 1, timeout: Duration? = nil) async throws -> RateLimitDecision {
        let capacity = self.policy.capacity
        guard cost >= 0 else { throw RateLimitError.invalidCost(cost, capacity: capacity) }
        switch self.schedule(key, cost: cost, maxWait: timeout ?? .nanoseconds(Int64.max)) {
        case .exceedsCapacity:
            throw RateLimitError(
                code: .invalidCost,
                message:
                    "invalid cost \(cost) to wait for: must be in 0...\(capacity), the capacity (no wait serves more)")
        case .wouldWait(let nanoseconds):
            let limit =
                timeout.map { "the timeout \(BucketPolicy.format($0.saturatingNanoseconds))" }
                ?? "the longest wait a bucket can carry (2^61 ticks)"
            throw RateLimitError(
                code: .wouldExceedTimeout,
                message:
                    "waiting for \(cost) token(s) would take \(BucketPolicy.format(nanoseconds)), more than \(limit)")
        case .reserved(let reservation):
            guard reservation.delayNanoseconds > 0 else { return reservation.decision }
            do {
                try await self.sleep(untilNanoseconds: reservation.readyAtNanoseconds)
            } catch {
                reservation.cancel()
                throw error
            }
            return reservation.decision
        }
    }
}
