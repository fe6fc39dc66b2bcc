import CRateLimitShims

/// `CLOCK_MONOTONIC`: nanosecond resolution, unaffected by wall-clock changes. The default clock.
public struct MonotonicClock: RateLimitClock, Hashable {
    /// Creates the clock.
    public init() {}

    /// `CLOCK_MONOTONIC` in nanoseconds since boot.
    @inlinable
    public func monotonicNanoseconds() -> Int64 {
        crl_monotonic_nanoseconds()
    }
}

extension RateLimitClock where Self == MonotonicClock {
    /// `CLOCK_MONOTONIC`: the precise default.
    public static var monotonic: MonotonicClock { MonotonicClock() }
}
