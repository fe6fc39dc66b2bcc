/// The shape of every bucket an engine keeps: a burst of `capacity` tokens, earned back at
/// `refill` tokens per `interval`.
///
/// The tutorial's policy — bursts of 10, then 2 requests per second — is:
///
/// ```swift
/// let policy = try BucketPolicy(capacity: 10, refill: 2, every: .seconds(1))
/// ```
///
/// Rates are kept as exact integer ratios, never rounded to a whole number of nanoseconds per
/// token: 7 tokens per millisecond refills exactly 7,000 per second, forever.
///
/// ## Limits
/// Arithmetic runs on 64-bit integers in *ticks* of `1/M` nanoseconds, where `M` is
/// `refill / gcd(refill, interval in ns)` for ``RefillMode/smooth`` and `refill` for
/// ``RefillMode/stepped``. The initializer rejects, with a message naming the value and the
/// allowed range:
/// - `capacity < 1`, `refill < 1` or `refill > 2³²`;
/// - an `interval` under 1 ns, over `Int64.max` ns, or not a whole number of nanoseconds;
/// - a bucket whose time to refill from empty exceeds 2⁶¹ ticks (for `M = 1`, about 73 years).
public struct BucketPolicy: Hashable, Sendable, CustomStringConvertible {
    /// The largest number of tokens a bucket holds: the longest burst a client may send at once.
    public let capacity: Int
    /// Tokens earned back per ``interval``.
    public let refill: Int
    /// The time in which ``refill`` tokens are earned back.
    public let interval: Duration
    /// When tokens arrive within an interval.
    public let mode: RefillMode

    /// The precomputed integer arithmetic shared by every engine, so that all engines give the
    /// same answers by construction.
    @usableFromInline
    package let arithmetic: BucketArithmetic

    /// The largest `refill` accepted: ticks per nanosecond must stay at or below 2³² so that the
    /// clock, in ticks, spans at least a second between rebases.
    public static let maximumRefill = 1 << 32

    /// The largest bucket window accepted, in ticks (see the type's documentation).
    public static let maximumWindowTicks: Int64 = 1 << 61

    /// Creates a policy, or throws ``RateLimitError/Code/invalidPolicy`` naming the offending value
    /// and the allowed range.
    ///
    /// - Parameters:
    ///   - capacity: The burst size, at least 1.
    ///   - refill: Tokens earned back per `interval`, in `1...2³²`.
    ///   - interval: The refill period: a whole number of nanoseconds, at least 1 ns.
    ///   - mode: How tokens arrive within an interval; ``RefillMode/smooth`` by default.
    public init(capacity: Int, refill: Int, every interval: Duration, mode: RefillMode = .smooth) throws(RateLimitError)
    {
        guard capacity >= 1 else {
            throw .invalidPolicy("capacity \(capacity): must be in 1...\(Int64.max)")
        }
        guard refill >= 1, refill <= Self.maximumRefill else {
            throw .invalidPolicy("refill \(refill): must be in 1...\(Self.maximumRefill)")
        }
        let intervalNanoseconds = try Self.wholeNanoseconds(interval)
        self.capacity = capacity
        self.refill = refill
        self.interval = interval
        self.mode = mode
        self.arithmetic = try BucketArithmetic(
            mode: mode,
            capacity: Int64(capacity),
            refill: Int64(refill),
            intervalNanoseconds: intervalNanoseconds
        )
    }

    /// The policy in words, such as `capacity 10, refill 2 every 1 s (smooth)`.
    public var description: String {
        "capacity \(self.capacity), refill \(self.refill) every \(Self.format(self.arithmetic.intervalNanoseconds)) (\(self.mode))"
    }

    private static func wholeNanoseconds(_ interval: Duration) throws(RateLimitError) -> Int64 {
        guard interval.components.attoseconds % 1_000_000_000 == 0 else {
            throw .invalidPolicy(
                "interval \(interval): must be a whole number of nanoseconds, in 1 ns...\(Int64.max) ns")
        }
        guard let nanoseconds = interval.wholeNanoseconds, nanoseconds >= 1 else {
            throw .invalidPolicy("interval \(interval): must be in 1 ns...\(Int64.max) ns")
        }
        return nanoseconds
    }

    /// Formats nanoseconds with the largest unit that divides them exactly.
    static func format(_ nanoseconds: Int64) -> String {
        for (unit, size) in [
            ("h", Int64(3_600_000_000_000)), ("min", 60_000_000_000), ("s", 1_000_000_000), ("ms", 1_000_000),
            ("µs", 1_000),
        ]
        where nanoseconds % size == 0 {
            return "\(nanoseconds / size) \(unit)"
        }
        return "\(nanoseconds) ns"
    }
}
