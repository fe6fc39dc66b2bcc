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
    /// Which time base the readings count in, so that an engine can refuse a
    /// ``RateLimitInstant`` of another: `1` for the kernel's monotonic time (the precise and the
    /// coarse clock share it); a ``ManualClock``'s serial number; for a custom clock class, the
    /// object's address; for a custom value type, the type's metadata address. None of them
    /// equals another kind's (see ``ManualClock``'s `identity`). An address tells clocks apart
    /// only while both live: an instant that outlives its custom clock object may be accepted by
    /// a later clock allocated at the same address (``RateLimitInstant`` documents it).
    @usableFromInline let identity: UInt

    init(_ clock: some RateLimitClock) {
        switch clock {
        case is MonotonicClock:
            (self.kind, self.manual, self.custom) = (.monotonic, nil, nil)
            self.identity = 1
        case is CoarseMonotonicClock:
            (self.kind, self.manual, self.custom) = (.coarseMonotonic, nil, nil)
            self.identity = 1
        case let manual as ManualClock:
            (self.kind, self.manual, self.custom) = (.manual, manual, nil)
            self.identity = manual.identity
        default:
            (self.kind, self.manual, self.custom) = (.custom, nil, clock)
            self.identity =
                type(of: clock) is AnyObject.Type
                ? UInt(bitPattern: ObjectIdentifier(clock as AnyObject))
                : UInt(bitPattern: ObjectIdentifier(type(of: clock)))
        }
    }

    /// A reading, as an instant that remembers this clock.
    @inlinable
    func instant() -> RateLimitInstant {
        RateLimitInstant(nanoseconds: self.now(), clock: self.identity)
    }

    /// The nanoseconds of `instant`, trapping if it was read from another clock.
    @inlinable
    func nanoseconds(of instant: RateLimitInstant) -> Int64 {
        if instant.clock != self.identity { foreignInstant(instant, expected: self.identity) }
        return instant.nanoseconds
    }

    /// Suspends until the clock reads `deadline` or later (see ``RateLimitClock/sleep(untilNanoseconds:)``).
    func sleep(untilNanoseconds deadline: Int64) async throws {
        switch self.kind {
        case .monotonic: try await MonotonicClock().sleep(untilNanoseconds: deadline)
        case .coarseMonotonic: try await CoarseMonotonicClock().sleep(untilNanoseconds: deadline)
        case .manual: try await self.manual.unsafelyUnwrapped.sleep(untilNanoseconds: deadline)
        case .custom: try await self.custom.unsafelyUnwrapped.sleep(untilNanoseconds: deadline)
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

/// Traps on an instant read from another clock: its nanoseconds count from another origin, so
/// deciding with them could refill buckets early. Out of line, so the check costs a compare.
@usableFromInline
@inline(never)
func foreignInstant(_ instant: RateLimitInstant, expected: UInt) -> Never {
    preconditionFailure(
        "RateLimitInstant \(instant) was read from another clock (identity \(instant.clock), this engine's is "
            + "\(expected)); read instants with this engine's now(), or an engine's on the same clock")
}
