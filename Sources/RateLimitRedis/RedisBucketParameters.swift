import RateLimit

/// A `BucketPolicy` as the integers the Lua script works with, checked against what Lua's
/// doubles represent exactly.
///
/// The arithmetic is the in-memory engines': a *tick* is `1/M` ns, where `M` is
/// `refill / gcd(refill, interval)` in smooth mode and `refill` in stepped mode, so fractional
/// rates stay exact. Lua 5.1 numbers are doubles, exact for integers below 2⁵³, and the largest
/// intermediate value the script forms is twice the bucket's window (its time to refill from
/// empty, in ticks). So the window must stay at or below 2⁵² ticks: about 52 days when `M = 1`,
/// against the 2⁶¹ ticks the in-memory engines accept.
struct RedisBucketParameters: Hashable, Sendable {
    /// The largest window, in ticks, the script computes with exactly.
    static let maximumWindowTicks: Int64 = 1 << 52

    let isStepped: Bool
    let capacity: Int64
    let refill: Int64
    let intervalNanoseconds: Int64
    /// `M`: ticks per nanosecond.
    let ticksPerNanosecond: Int64
    /// Ticks per token in smooth mode; 0 in stepped mode.
    let ticksPerToken: Int64
    /// The largest debt a bucket carries: its time to refill from empty, in ticks.
    let windowTicks: Int64

    /// Derives the parameters, or throws `RateLimitError.Code.invalidPolicy` naming the value
    /// that does not fit and the range that would.
    init(policy: BucketPolicy) throws(RateLimitError) {
        // BucketPolicy guarantees a whole, positive number of nanoseconds below Int64.max.
        let interval = policy.interval.saturatingNanoseconds
        let capacity = Int64(policy.capacity)
        let refill = Int64(policy.refill)
        self.isStepped = policy.mode == .stepped
        self.capacity = capacity
        self.refill = refill
        self.intervalNanoseconds = interval
        let window: (partialValue: Int64, overflow: Bool)
        let largestCapacity: Int64
        if self.isStepped {
            self.ticksPerNanosecond = refill
            self.ticksPerToken = 0
            // Debt peaks at ⌈capacity / refill⌉ whole steps of `interval` ns, `refill` ticks each.
            let stepTicks = interval.multipliedReportingOverflow(by: refill)
            let steps = (capacity - 1) / refill + 1
            let product = steps.multipliedReportingOverflow(by: stepTicks.partialValue)
            window = (product.partialValue, stepTicks.overflow || product.overflow)
            largestCapacity =
                stepTicks.overflow || stepTicks.partialValue > Self.maximumWindowTicks
                ? 0 : (Self.maximumWindowTicks / stepTicks.partialValue) * refill
        } else {
            let divisor = Self.greatestCommonDivisor(interval, refill)
            self.ticksPerNanosecond = refill / divisor
            self.ticksPerToken = interval / divisor
            window = capacity.multipliedReportingOverflow(by: self.ticksPerToken)
            largestCapacity = Self.maximumWindowTicks / self.ticksPerToken
        }
        guard !window.overflow, window.partialValue <= Self.maximumWindowTicks else {
            let reason =
                "Lua numbers are exact only below 2^53, so the time to refill from empty must stay "
                + "within 2^52 ticks of 1/\(self.ticksPerNanosecond) ns"
            guard largestCapacity >= 1 else {
                // Stepped: one step is interval·refill ticks. Smooth: one token is interval/gcd ticks.
                let scaled = Self.maximumWindowTicks.multipliedReportingOverflow(by: refill / self.ticksPerNanosecond)
                let longest =
                    self.isStepped
                    ? Self.maximumWindowTicks / refill : (scaled.overflow ? Int64.max : scaled.partialValue)
                throw .invalidPolicy(
                    "interval \(policy.interval) for the Redis engine (policy \(policy)): \(reason); "
                        + "interval must be in 1 ns...\(longest) ns"
                )
            }
            throw .invalidPolicy(
                "capacity \(capacity) for the Redis engine (policy \(policy)): \(reason); "
                    + "capacity must be in 1...\(largestCapacity)"
            )
        }
        self.windowTicks = window.partialValue
    }

    /// ARGV 1 to 7 of the script, in order.
    var scriptArguments: [Int] {
        [
            self.isStepped ? 1 : 0, Int(self.capacity), Int(self.refill), Int(self.intervalNanoseconds),
            Int(self.ticksPerNanosecond), Int(self.ticksPerToken), Int(self.windowTicks),
        ]
    }

    private static func greatestCommonDivisor(_ a: Int64, _ b: Int64) -> Int64 {
        var (a, b) = (a, b)
        while b != 0 { (a, b) = (b, a % b) }
        return a
    }
}
