import RateLimit
import Synchronization

/// A clock that can be set to any reading, including an earlier one: it simulates a thread that
/// read the clock, was preempted, and acts after another thread stored a later time.
///
/// Real clocks given to engines must never move backwards (see `RateLimitClock`); this one does
/// on purpose, to check that engines treat an old reading as "no time has passed" and never as
/// a reason to admit more.
public final class ScriptedClock: RateLimitClock, Sendable {
    private let reading: Atomic<Int64>

    /// Creates a clock showing `nanoseconds`.
    public init(nanoseconds: Int64 = 0) {
        self.reading = Atomic(nanoseconds)
    }

    /// The reading last set.
    public func monotonicNanoseconds() -> Int64 {
        // Acquiring/releasing: a thread that reads a value also sees what the setter did before.
        self.reading.load(ordering: .acquiring)
    }

    /// Sets the reading, forwards or backwards.
    public func set(nanoseconds: Int64) {
        self.reading.store(nanoseconds, ordering: .releasing)
    }
}
