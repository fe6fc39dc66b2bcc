/// How a bucket earns back its tokens.
///
/// Both modes have the same long-run rate (`refill` tokens per `interval`) and the same burst
/// (`capacity`); they differ in *when* tokens arrive between whole intervals.
public enum RefillMode: Hashable, Sendable, CustomStringConvertible {
    /// One token every `interval / refill`, to the nanosecond, with fractional rates carried
    /// exactly. Equivalent to the generic cell rate algorithm (GCRA).
    ///
    /// This is the default: clients that back off for `retryAfter` are spread out instead of
    /// all returning at an interval boundary, and `retryAfter` is never longer than needed.
    case smooth

    /// `refill` tokens at once at each whole `interval`, with partial intervals carried over:
    /// the behaviour of the classic tutorial token bucket.
    ///
    /// The interval clock of a bucket starts when it first drops below capacity; a full bucket
    /// carries no phase, so a bucket that has refilled completely behaves exactly like a new one.
    case stepped

    /// `smooth` or `stepped`.
    public var description: String {
        switch self {
        case .smooth: "smooth"
        case .stepped: "stepped"
        }
    }
}
