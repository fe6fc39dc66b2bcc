/// A source of monotonic time for rate-limit decisions.
///
/// Engines read the clock once per decision, so the clock is usually the most expensive part of a
/// decision: `CLOCK_MONOTONIC` costs about 25 ns where a compare-and-swap costs 2.5 ns. Choose:
///
/// | Clock | Cost | Resolution | Use |
/// |---|---|---|---|
/// | ``MonotonicClock`` | ~25 ns | 1 ns | the default: exact `retryAfter`, any rate |
/// | ``CoarseMonotonicClock`` | ~6 ns | the kernel tick, 1–4 ms | rates well below 1 token/ms |
/// | ``ManualClock`` | ~1 ns | exact, set by hand | tests |
///
/// ## Implementing a clock
/// - Return nanoseconds from a fixed, arbitrary origin that **never moves backwards** and keeps
///   counting across sleeps and wall-clock changes. Never use wall-clock time: an NTP step or a
///   leap second would refill or drain every bucket at once.
/// - Be safe to call from any thread at the same time.
/// - Engines tolerate a reading that is older than one another thread already used (a thread may
///   be preempted between reading the clock and updating a bucket): they never let a bucket's time
///   move backwards — across drops, evictions and rebases too — so a stale reading can only make a
///   decision stricter, never admit more. A key admits at most `capacity` plus what `refill` earns
///   over the span of its own admissions' readings (see the `stale-reading-*` conformance
///   scenarios for the exact bound). The other side of that coin: a key never seen before is
///   denied when the reading is so much older than the engine's latest drop of a full bucket that
///   the gap leaves room for fewer tokens than requested (nearly the time to refill from empty),
///   since such a key cannot be told from a dropped one.
public protocol RateLimitClock: Sendable {
    /// Nanoseconds since this clock's origin.
    func monotonicNanoseconds() -> Int64

    /// Suspends until this clock reads `deadline` or later: how
    /// ``ReservingRateLimiter/wait(_:cost:timeout:)`` waits for its turn.
    ///
    /// The default sleeps on the system's continuous clock for the difference and reads this clock
    /// again, until the reading is there: right for any clock that runs at real time. A clock that
    /// moves otherwise (such as ``ManualClock``) implements it to wake its sleepers as it moves.
    ///
    /// - Throws: `CancellationError` if the task is cancelled first.
    func sleep(untilNanoseconds deadline: Int64) async throws
}

extension RateLimitClock {
    /// Sleeps on the system's continuous clock until this clock reads `deadline` or later.
    public func sleep(untilNanoseconds deadline: Int64) async throws {
        while true {
            let now = self.monotonicNanoseconds()
            if now >= deadline { return }
            // The system clock may run slightly apart from this one: read this one again after.
            try await Task.sleep(for: .nanoseconds(deadline &- now))
        }
    }
}
