/// One check of the conformance suite. Scenarios are values so that a test framework can run
/// each as its own parameterised test case.
public struct ConformanceScenario: Hashable, Sendable, CustomStringConvertible {
    /// What a scenario exercises.
    public enum Kind: Hashable, Sendable {
        /// Single-threaded, on a clock set by hand; expected values exact to the nanosecond.
        case deterministic
        /// Real threads racing on a frozen clock; admitted totals must be exact.
        case contention
        /// Real threads under saturating demand on the real clock, for a bounded time.
        case realClock
    }

    /// The scenario's name, such as `burst-then-deny`.
    public let name: String
    /// What it exercises.
    public let kind: Kind
    /// For ``Kind/contention`` and ``Kind/realClock``: how many threads race.
    public let threads: Int?

    /// The name, with the thread count where there is one.
    public var description: String {
        self.threads.map { "\(self.name) (\($0) threads)" } ?? self.name
    }

    /// The names of the single-threaded scenarios.
    public static let deterministicNames = [
        "burst-then-deny",
        "refill-whole-intervals",
        "refill-partial-intervals",
        "fractional-rates-exact",
        "costs-above-one",
        "peek",
        "cost-above-capacity",
        "retry-and-reset-exact",
        "long-idle-gaps",
        "epoch-rebase",
        "clock-moving-backwards",
        "model-random-sequences",
        "eviction-full-buckets-first",
        "eviction-bounded-and-counted",
        "stale-reading-after-drop",
        "stale-reading-after-eviction",
        "stale-reading-evicts",
        "stale-reading-across-rebase",
        "stale-reading-across-growth",
    ]

    /// The names of the real-thread scenarios on a frozen clock.
    public static let contentionNames = [
        "contention-hot-key",
        "contention-many-keys",
        "contention-random-costs",
    ]

    /// The names of the single-threaded reservation scenarios, for a `ReservingRateLimiter`.
    public static let reservationNames = [
        "reservation-queue",
        "reservation-cancel",
        "reservation-cancel-after-eviction",
        "reservation-limits",
        "reservation-model-random",
    ]

    /// The name of the real-thread reservation scenario on a frozen clock.
    public static let reservationContentionName = "contention-reservations"

    /// The name of the real-clock scenario.
    public static let realClockName = "real-clock-saturation"

    /// Every scenario: the deterministic ones, each contention scenario at each of
    /// `threadCounts`, and the real-clock scenario at each of `realClockThreadCounts`.
    public static func all(
        threadCounts: [Int] = [1, 2, 4, 8, 16, 32],
        realClockThreadCounts: [Int] = [2, 16]
    ) -> [ConformanceScenario] {
        self.deterministicNames.map { ConformanceScenario(name: $0, kind: .deterministic, threads: nil) }
            + self.contentionNames.flatMap { name in
                threadCounts.map { ConformanceScenario(name: name, kind: .contention, threads: $0) }
            }
            + realClockThreadCounts.map { ConformanceScenario(name: self.realClockName, kind: .realClock, threads: $0) }
    }
}

extension ConformanceScenario {
    /// The scenarios for engines that reserve (`ReservingRateLimiter`), not part of
    /// ``all(threadCounts:realClockThreadCounts:)``: the single-threaded ones, and the contention
    /// one at each of `threadCounts`.
    public static func reservations(threadCounts: [Int] = [1, 2, 4, 8, 16, 32]) -> [ConformanceScenario] {
        self.reservationNames.map { ConformanceScenario(name: $0, kind: .deterministic, threads: nil) }
            + threadCounts.map {
                ConformanceScenario(name: self.reservationContentionName, kind: .contention, threads: $0)
            }
    }

    var isReservation: Bool {
        Self.reservationNames.contains(self.name) || self.name == Self.reservationContentionName
    }
}

/// Why an engine failed a scenario.
public struct ConformanceFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// The engine's name, as given to ``RateLimiterConformance``.
    public let engine: String
    /// The scenario that failed.
    public let scenario: String
    /// What was expected and what happened.
    public let message: String

    /// The failure in one line.
    public var description: String {
        "\(self.engine) failed \(self.scenario): \(self.message)"
    }
}
