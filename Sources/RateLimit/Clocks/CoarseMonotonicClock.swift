import CRateLimitShims

/// `CLOCK_MONOTONIC_COARSE`: about four times cheaper to read than ``MonotonicClock``, with the
/// resolution of the kernel's scheduler tick (typically 1–4 ms; see ``resolution``).
///
/// ## Trade-off
/// Time advances in steps of one tick, so a bucket earns its tokens up to one tick late, and a
/// `retryAfter` can be up to one tick early by the precise clock. Decisions stay exact *for the
/// time the clock reports*: the bucket never over-admits, it refills in tick-sized steps. Choose
/// it when the refill period of one token is much longer than a tick (for example 100 requests
/// per second or slower) and decision throughput matters; keep ``MonotonicClock`` for
/// fine-grained rates.
public struct CoarseMonotonicClock: RateLimitClock, Hashable {
    /// Creates the clock.
    public init() {}

    /// The time of the last scheduler tick, in nanoseconds since boot.
    @inlinable
    public func monotonicNanoseconds() -> Int64 {
        crl_monotonic_coarse_nanoseconds()
    }

    /// The clock's resolution on this machine.
    public var resolution: Duration {
        .nanoseconds(crl_monotonic_coarse_resolution_nanoseconds())
    }
}

extension RateLimitClock where Self == CoarseMonotonicClock {
    /// `CLOCK_MONOTONIC_COARSE`: cheap, with the resolution of the kernel tick.
    public static var coarseMonotonic: CoarseMonotonicClock { CoarseMonotonicClock() }
}
