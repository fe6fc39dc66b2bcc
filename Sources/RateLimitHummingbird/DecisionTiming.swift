import CRateLimitShims
public import RateLimit

/// Which decisions ``RateLimitMiddleware`` times into `ratelimit_decision_duration_seconds`.
///
/// Timing a decision costs two clock reads and a histogram update, about 140 ns here: more than
/// an in-memory engine's whole decision. So by default (``automatic``) the middleware times every
/// decision of a limiter that answers asynchronously (Redis), whose time is a round trip worth
/// watching, and one decision in 64 of an in-memory engine. The timer's count is then a sample;
/// `ratelimit_requests_total` counts every request.
///
/// Each decision is picked independently, with probability 1/N, by a pseudo-random draw from a
/// per-thread state (SplitMix64): no shared counter, so no locked instruction or contended cache
/// line on the request path, and nested middlewares sharing a thread are each sampled at the same
/// rate.
public struct DecisionTiming: Hashable, Sendable, CustomStringConvertible {
    /// One less than the sampling period, a power of two; `nil` for ``off``.
    let mask: UInt32?
    /// Whether ``automatic`` is still to be resolved against the limiter.
    private let isAutomatic: Bool

    private init(mask: UInt32?, isAutomatic: Bool = false) {
        self.mask = mask
        self.isAutomatic = isAutomatic
    }

    /// Every decision of an asynchronous limiter (Redis); one in 64, on average, of an in-memory
    /// engine. The default.
    public static let automatic = DecisionTiming(mask: 63, isAutomatic: true)
    /// Every decision.
    public static let all = DecisionTiming(mask: 0)
    /// No decision: the timer is never recorded.
    public static let off = DecisionTiming(mask: nil)

    /// One decision in `period`, on average: each is picked with probability 1/`period`.
    ///
    /// - Parameter period: A power of two in `1...65536`; 1 is ``all``.
    /// - Throws: `RateLimitError.Code.invalidConfiguration` naming `period` when it is not
    ///   a power of two in that range.
    public static func oneIn(_ period: Int) throws(RateLimitError) -> DecisionTiming {
        guard (1...65536).contains(period), period & (period - 1) == 0 else {
            throw .invalidConfiguration(
                "decision timing period", period, allowed: "a power of two in 1...65536 (one decision in N is timed)")
        }
        return DecisionTiming(mask: UInt32(period - 1))
    }

    /// Whether to time the decision about to be made on this thread: always for ``all``, never
    /// for ``off``; a sampled timing draws from the thread's sampling state, which ``all`` and
    /// ``off`` leave alone.
    @inline(__always)
    func timesNextDecision() -> Bool {
        guard let mask = self.mask else { return false }
        return mask == 0 || crl_sample_tick(mask) != 0
    }

    /// This timing with ``automatic`` resolved for a limiter that does (or does not) decide
    /// synchronously.
    func resolved(synchronousLimiter: Bool) -> DecisionTiming {
        guard self.isAutomatic else { return self }
        return synchronousLimiter ? DecisionTiming(mask: 63) : .all
    }

    public var description: String {
        switch (self.isAutomatic, self.mask) {
        case (true, _): "automatic"
        case (false, nil): "off"
        case (false, 0): "all"
        case (false, let mask?): "one in \(UInt64(mask) + 1)"
        }
    }
}
