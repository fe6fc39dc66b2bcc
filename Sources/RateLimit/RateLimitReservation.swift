import Synchronization

/// Tokens taken now for a request that may act now or later: the answer to
/// ``ReservingRateLimiter/reserve(_:cost:maxWait:)``.
///
/// The tokens are already spent when the reservation exists: every later request on the key —
/// a reservation or a plain ``RateLimiter/acquire(_:cost:)`` — sees them gone. The holder acts
/// once ``delay`` has passed on the engine's clock (``ReservingRateLimiter/wait(_:cost:timeout:)``
/// sleeps for it), or gives them back with ``cancel()``.
public struct RateLimitReservation<Key: Hashable & Sendable>: Sendable {
    /// The client whose bucket the tokens came from.
    public let key: Key
    /// The tokens taken.
    public let cost: Int
    /// The decision as of the moment the reservation may act: allowed, with `remaining` and
    /// `resetAfter` as seen then.
    public let decision: RateLimitDecision
    /// Nanoseconds from the reservation's clock reading until it may act: `0` when served at once.
    public let delayNanoseconds: Int64
    /// The engine clock's reading (``RateLimitClock/monotonicNanoseconds()``) at which the
    /// reservation may act.
    public let readyAtNanoseconds: Int64
    /// What the engine needs to cancel the reservation.
    public let ticket: Ticket
    let limiter: any ReservingRateLimiter<Key>
    /// Shared by every copy: set while a cancellation is running or once one gave the tokens back.
    let cancellationClaim = CancellationClaim()

    /// What an engine records to cancel a reservation. The built-in engines store the bucket's
    /// state before and after the reservation, its time to act in their own time base, and the
    /// table's generation; an engine outside this package may use the fields as it likes.
    public struct Ticket: Hashable, Sendable {
        /// The bucket's state before the reservation.
        public var before: Int64
        /// The bucket's state after it.
        public var after: Int64
        /// When the reservation may act, in the engine's time base.
        public var ready: Int64
        /// The engine's epoch when it reserved.
        public var epoch: Int64
        /// How many buckets the engine had evicted (in the key's table) when it reserved.
        public var evictions: Int

        /// Creates a ticket.
        public init(before: Int64, after: Int64, ready: Int64, epoch: Int64, evictions: Int) {
            self.before = before
            self.after = after
            self.ready = ready
            self.epoch = epoch
            self.evictions = evictions
        }
    }

    /// Creates a reservation; engines make them.
    public init(
        key: Key,
        cost: Int,
        decision: RateLimitDecision,
        delayNanoseconds: Int64,
        readyAtNanoseconds: Int64,
        ticket: Ticket,
        limiter: any ReservingRateLimiter<Key>
    ) {
        self.key = key
        self.cost = cost
        self.decision = decision
        self.delayNanoseconds = delayNanoseconds
        self.readyAtNanoseconds = readyAtNanoseconds
        self.ticket = ticket
        self.limiter = limiter
    }

    /// Runs an engine's cancellation of this reservation at most once successfully: `false`
    /// without calling `cancel` when it already gave the tokens back (or another cancellation of
    /// it is running). A later reservation can leave its bucket in the very state this one did, so
    /// without the claim a second cancel would return that one's tokens. Engines call it around
    /// their ``ReservingRateLimiter/cancel(_:)``.
    public func claimCancellation(_ cancel: () -> Bool) -> Bool {
        // Relaxed: the flag orders nothing else; the bucket's own lock or compare-and-swap orders
        // the cancellation with every other decision.
        guard !self.cancellationClaim.taken.exchange(true, ordering: .relaxed) else { return false }
        let returned = cancel()
        if !returned {
            // Nothing went back: a later attempt may still succeed (once the later reservations
            // that depended on these tokens are cancelled).
            self.cancellationClaim.taken.store(false, ordering: .relaxed)
        }
        return returned
    }

    /// How long the holder must wait before acting: `.zero` when served at once.
    public var delay: Duration {
        .nanoseconds(self.delayNanoseconds)
    }

    /// Gives the tokens back, if nothing depends on them yet. See
    /// ``ReservingRateLimiter/cancel(_:)`` for exactly when that is.
    ///
    /// - Returns: Whether the tokens went back to the bucket.
    @discardableResult
    public func cancel() -> Bool {
        self.limiter.cancel(self)
    }
}

/// Whether a reservation's cancellation is taken (see
/// ``RateLimitReservation/claimCancellation(_:)``).
final class CancellationClaim: Sendable {
    let taken = Atomic<Bool>(false)
}

/// The answer to ``ReservingRateLimiter/schedule(_:cost:maxWait:)``: a reservation, or why none
/// was made. Nothing is taken unless it is ``reserved(_:)``.
public enum RateLimitSchedule<Key: Hashable & Sendable>: Sendable {
    /// The tokens are taken; the reservation says when to act.
    case reserved(RateLimitReservation<Key>)
    /// The request would have to wait `nanoseconds`, longer than allowed.
    case wouldWait(nanoseconds: Int64)
    /// The cost exceeds the capacity: no wait serves it. The decision is the denial
    /// (``RateLimitDecision/exceedsCapacity``).
    case exceedsCapacity(RateLimitDecision)
}

/// The generation of an engine's table that a cancellation checks: the epoch its states count
/// from, and how many buckets that owed tokens it has evicted (see ``Cancellation``).
@usableFromInline
package struct BucketGeneration: Hashable, Sendable {
    @usableFromInline package var epoch: Int64
    @usableFromInline package var evictions: Int

    @inlinable
    package init(epoch: Int64, evictions: Int) {
        self.epoch = epoch
        self.evictions = evictions
    }
}
