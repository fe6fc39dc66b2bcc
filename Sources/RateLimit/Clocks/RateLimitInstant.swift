/// A reading of a rate limiter's clock, taken once and passed to several decisions.
///
/// Reading the clock is most of what a decision on a cached key costs (about 25 ns of ~35 ns with
/// ``MonotonicClock``). A caller that decides many times in a short span — a batch of requests,
/// one event-loop tick — reads it once with ``FastPathRateLimiter/now()`` and passes the reading to
/// ``FastPathRateLimiter/acquire(_:cost:at:)-(Self.Key,_,_)``.
///
/// An instant is a reading like any other: engines never let a bucket's time move backwards, so an
/// instant older than one another decision already used makes a decision stricter, never more
/// permissive (see ``RateLimitClock``). What a reused instant costs is resolution: every decision
/// made with it sees the time it was read.
///
/// An instant remembers which clock it came from. Engines on the same clock accept each other's
/// instants — all engines on ``MonotonicClock`` or ``CoarseMonotonicClock`` (both read the
/// kernel's monotonic time base), all engines on one ``ManualClock`` instance, all engines on one
/// instance of a custom clock class, or on one custom clock value type — and trap on an instant of
/// another clock, whose numbers would mean another time. Two limits, for custom clocks only:
/// instances of one custom value type count as one clock (give clocks with different origins
/// different types), and a custom clock object is told apart by its address, so an instant kept
/// after its clock is freed may pass on a new clock at the same address.
public struct RateLimitInstant: Hashable, Sendable, CustomStringConvertible {
    /// Nanoseconds since the clock's origin.
    public let nanoseconds: Int64
    /// Which clock: see ``ClockSource/identity``.
    @usableFromInline let clock: UInt

    @inlinable
    init(nanoseconds: Int64, clock: UInt) {
        self.nanoseconds = nanoseconds
        self.clock = clock
    }

    /// The reading, such as `1234567890 ns`.
    public var description: String { "\(self.nanoseconds) ns" }
}
