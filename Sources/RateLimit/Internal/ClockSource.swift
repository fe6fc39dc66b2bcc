/// The clock an engine reads, resolved once at initialisation so that the built-in clocks are read
/// with a predictable branch and an inlined call instead of an existential dispatch.
@usableFromInline
enum ClockSource: Sendable {
    case monotonic
    case coarseMonotonic
    case manual(ManualClock)
    case custom(any RateLimitClock)

    init(_ clock: some RateLimitClock) {
        switch clock {
        case is MonotonicClock: self = .monotonic
        case is CoarseMonotonicClock: self = .coarseMonotonic
        case let manual as ManualClock: self = .manual(manual)
        default: self = .custom(clock)
        }
    }

    @inlinable
    func now() -> Int64 {
        switch self {
        case .monotonic: MonotonicClock().monotonicNanoseconds()
        case .coarseMonotonic: CoarseMonotonicClock().monotonicNanoseconds()
        case .manual(let clock): clock.monotonicNanoseconds()
        case .custom(let clock): clock.monotonicNanoseconds()
        }
    }
}
