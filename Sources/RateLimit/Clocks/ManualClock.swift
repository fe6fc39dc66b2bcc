import Synchronization

/// A clock that moves only when told to: deterministic time for tests.
///
/// It starts at zero. ``advance(by:)`` may be called from any thread while other threads read
/// the clock; every reader sees the advance once it returns.
///
/// ```swift
/// let clock = ManualClock()
/// let limiter = try MutexRateLimiter<String>(policy: policy, clock: clock)
/// clock.advance(by: .seconds(3))
/// ```
public final class ManualClock: RateLimitClock, @unchecked Sendable {
    // @unchecked: `sleepers` is raw memory behind a pthread mutex; everything else is atomic or
    // immutable.
    @usableFromInline
    let nanoseconds: Atomic<Int64>
    /// Tasks in ``sleep(untilNanoseconds:)``, woken by ``advance(nanoseconds:)``.
    let sleepers = LockedShards<Sleepers>(count: 1) { _ in Sleepers() }
    /// Which clock a ``RateLimitInstant`` was read from: a serial number unique among every
    /// manual clock of the process, never an address (which a later clock could reuse while an
    /// instant of this one is still held). Shifted and tagged so that it equals neither the
    /// monotonic clocks' `1` nor any object's address.
    let identity: UInt
    private static let serials = Atomic<UInt>(0)

    /// Creates a clock reading zero nanoseconds.
    public init() {
        self.nanoseconds = Atomic(0)
        // Relaxed: only uniqueness matters.
        self.identity = Self.serials.wrappingAdd(1, ordering: .relaxed).newValue << 4 | 3
    }

    /// The current reading, in nanoseconds.
    @inlinable
    public func monotonicNanoseconds() -> Int64 {
        // Acquiring pairs with the releasing add in `advance(by:)`: a thread that reads the new
        // time also sees everything the advancing thread did before advancing.
        self.nanoseconds.load(ordering: .acquiring)
    }

    /// Moves the clock forward by `duration`, which must be a whole, non-negative number of
    /// nanoseconds that keeps the reading within `Int64.max` ns.
    ///
    /// - Throws: ``RateLimitError/Code/invalidConfiguration`` naming the duration otherwise; the
    ///   clock is unchanged.
    public func advance(by duration: Duration) throws(RateLimitError) {
        guard let nanoseconds = duration.wholeNanoseconds, nanoseconds >= 0 else {
            throw .invalidConfiguration(
                "clock advance", duration, allowed: "a whole number of nanoseconds in 0 ns...\(Int64.max) ns")
        }
        try self.advance(nanoseconds: nanoseconds)
    }

    /// Moves the clock forward by `nanoseconds`, in `0...(Int64.max − reading)`.
    ///
    /// - Throws: ``RateLimitError/Code/invalidConfiguration`` otherwise; the clock is unchanged.
    public func advance(nanoseconds delta: Int64) throws(RateLimitError) {
        guard delta >= 0 else {
            throw .invalidConfiguration("clock advance", "\(delta) ns", allowed: "in 0...\(Int64.max) ns")
        }
        var current = self.nanoseconds.load(ordering: .relaxed)
        while true {
            let (next, overflow) = current.addingReportingOverflow(delta)
            guard !overflow else {
                throw .invalidConfiguration(
                    "clock advance", "\(delta) ns",
                    allowed: "in 0...\(Int64.max - current) ns from reading \(current) ns")
            }
            // Releasing: see `monotonicNanoseconds()`.
            let (exchanged, original) = self.nanoseconds.weakCompareExchange(
                expected: current,
                desired: next,
                successOrdering: .releasing,
                failureOrdering: .relaxed
            )
            if exchanged {
                self.wakeSleepers()
                return
            }
            current = original
        }
    }
}
