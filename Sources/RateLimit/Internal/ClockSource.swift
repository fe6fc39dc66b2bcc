/// The clock an engine reads, resolved once at initialisation so that the built-in clocks are read
/// with a predictable branch on a plain tag and an inlined call: no existential dispatch, and no
/// reference counting on the precise clock's path.
@usableFromInline
struct ClockSource: Sendable {
    @usableFromInline
    enum Kind: Sendable {
        case monotonic
        case coarseMonotonic
        case manual
        case custom
    }

    @usableFromInline let kind: Kind
    @usableFromInline let manual: ManualClock?
    @usableFromInline let custom: (any RateLimitClock)?

    init(_ clock: some RateLimitClock) {
        switch clock {
        case is MonotonicClock:
            (self.kind, self.manual, self.custom) = (.monotonic, nil, nil)
        case is CoarseMonotonicClock:
            (self.kind, self.manual, self.custom) = (.coarseMonotonic, nil, nil)
        case let manual as ManualClock:
            (self.kind, self.manual, self.custom) = (.manual, manual, nil)
        default:
            (self.kind, self.manual, self.custom) = (.custom, nil, clock)
        }
    }

    @inlinable
    func now() -> Int64 {
        switch self.kind {
        case .monotonic: MonotonicClock().monotonicNanoseconds()
        case .coarseMonotonic: CoarseMonotonicClock().monotonicNanoseconds()
        case .manual: self.manual.unsafelyUnwrapped.monotonicNanoseconds()
        case .custom: self.custom.unsafelyUnwrapped.monotonicNanoseconds()
        }
    }
}
