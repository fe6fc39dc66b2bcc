import RateLimit

/// The conformance and stress suite every engine must pass — the three in this package, and any
/// engine written against `RateLimiter`.
///
/// Give the suite a name, a way to make keys and a factory; then run each scenario, for example as
/// parameterised Swift Testing cases:
///
/// ```swift
/// let suite = RateLimiterConformance<String>(engine: "mine", makeKey: { "client-\($0)" }) {
///     policy, maxKeys, clock in try MyRateLimiter(policy: policy, maxKeys: maxKeys, clock: clock)
/// }
///
/// @Test(arguments: ConformanceScenario.all())
/// func conformance(_ scenario: ConformanceScenario) throws {
///     try suite.run(scenario)
/// }
/// ```
///
/// Scenarios never sleep except the real-clock one. Deterministic scenarios compare every decision
/// with hand-computed values and with ``ReferenceBucket``; contention scenarios start real threads
/// (``RealThreads``) and require *exact* admitted totals on a frozen clock; eviction scenarios
/// require the engine to be a `BoundedRateLimiter`.
public struct RateLimiterConformance<Key: Hashable & Sendable>: Sendable {
    /// Makes the engine under test for a policy, a key bound and a clock.
    public typealias Factory =
        @Sendable (_ policy: BucketPolicy, _ maxKeys: Int, _ clock: any RateLimitClock) throws -> any RateLimiter<Key>

    /// The engine's name, used in failure messages.
    public let engine: String
    let makeKey: @Sendable (Int) -> Key
    let factory: Factory

    /// How long the real-clock scenario runs. Two seconds by default.
    public var realClockDuration: Duration = .seconds(2)

    /// Creates the suite for one engine.
    ///
    /// - Parameters:
    ///   - engine: A name for failure messages.
    ///   - makeKey: Makes distinct keys from distinct integers.
    ///   - makeLimiter: Makes a fresh engine; called once or more per scenario.
    public init(engine: String, makeKey: @escaping @Sendable (Int) -> Key, makeLimiter: @escaping Factory) {
        self.engine = engine
        self.makeKey = makeKey
        self.factory = makeLimiter
    }

    /// Runs one scenario, throwing on the first mismatch.
    public func run(_ scenario: ConformanceScenario) throws(ConformanceFailure) {
        let context = ScenarioContext(suite: self, scenario: scenario)
        if scenario.isReservation {
            return try self.runReservation(scenario.name, context)
        }
        switch scenario.kind {
        case .deterministic:
            try self.runDeterministic(scenario.name, context)
        case .contention:
            let threads = try context.threads()
            switch scenario.name {
            case "contention-hot-key": try self.contentionHotKey(threads: threads, context)
            case "contention-many-keys": try self.contentionManyKeys(threads: threads, context)
            case "contention-random-costs": try self.contentionRandomCosts(threads: threads, context)
            default: throw context.failure("unknown scenario")
            }
        case .realClock:
            try self.realClockSaturation(threads: try context.threads(), context)
        }
    }

    /// Runs every scenario of ``ConformanceScenario/all(threadCounts:realClockThreadCounts:)`` and
    /// returns the failures (empty when the engine conforms).
    public func runAll(threadCounts: [Int] = [1, 2, 4, 8, 16, 32]) -> [ConformanceFailure] {
        ConformanceScenario.all(threadCounts: threadCounts).compactMap { scenario -> ConformanceFailure? in
            do throws(ConformanceFailure) {
                try self.run(scenario)
                return nil
            } catch {
                return error
            }
        }
    }

    private func runDeterministic(_ name: String, _ context: ScenarioContext<Key>) throws(ConformanceFailure) {
        switch name {
        case "burst-then-deny": try self.burstThenDeny(context)
        case "refill-whole-intervals": try self.refillWholeIntervals(context)
        case "refill-partial-intervals": try self.refillPartialIntervals(context)
        case "fractional-rates-exact": try self.fractionalRatesExact(context)
        case "costs-above-one": try self.costsAboveOne(context)
        case "peek": try self.peek(context)
        case "cost-above-capacity": try self.costAboveCapacity(context)
        case "retry-and-reset-exact": try self.retryAndResetExact(context)
        case "long-idle-gaps": try self.longIdleGaps(context)
        case "epoch-rebase": try self.epochRebase(context)
        case "clock-moving-backwards": try self.clockMovingBackwards(context)
        case "model-random-sequences": try self.modelRandomSequences(context)
        case "eviction-full-buckets-first": try self.evictionFullBucketsFirst(context)
        case "eviction-bounded-and-counted": try self.evictionBoundedAndCounted(context)
        case "stale-reading-after-drop": try self.staleReadingAfterDrop(context)
        case "stale-reading-after-eviction": try self.staleReadingAfterEviction(context)
        case "stale-reading-evicts": try self.staleReadingEvicts(context)
        case "stale-reading-across-rebase": try self.staleReadingAcrossRebase(context)
        case "stale-reading-across-growth": try self.staleReadingAcrossGrowth(context)
        default: throw context.failure("unknown scenario")
        }
    }
}

/// What a scenario needs to build engines and report mismatches.
struct ScenarioContext<Key: Hashable & Sendable> {
    let suite: RateLimiterConformance<Key>
    let scenario: ConformanceScenario

    func failure(_ message: String) -> ConformanceFailure {
        ConformanceFailure(engine: self.suite.engine, scenario: self.scenario.description, message: message)
    }

    func threads() throws(ConformanceFailure) -> Int {
        guard let threads = self.scenario.threads, threads >= 1 else {
            throw self.failure("a thread count of at least 1 is required")
        }
        return threads
    }

    func key(_ index: Int) -> Key {
        self.suite.makeKey(index)
    }

    func policy(_ capacity: Int, _ refill: Int, every interval: Duration, _ mode: RefillMode) throws(ConformanceFailure)
        -> BucketPolicy
    {
        do {
            return try BucketPolicy(capacity: capacity, refill: refill, every: interval, mode: mode)
        } catch {
            throw self.failure("policy rejected: \(error)")
        }
    }

    func limiter(_ policy: BucketPolicy, maxKeys: Int = 1024, clock: any RateLimitClock) throws(ConformanceFailure)
        -> any RateLimiter<Key>
    {
        do {
            return try self.suite.factory(policy, maxKeys, clock)
        } catch {
            throw self.failure("factory failed for \(policy), maxKeys \(maxKeys): \(error)")
        }
    }

    func bounded(_ limiter: any RateLimiter<Key>) throws(ConformanceFailure) -> any BoundedRateLimiter<Key> {
        guard let bounded = limiter as? any BoundedRateLimiter<Key> else {
            throw self.failure("the engine is not a BoundedRateLimiter: bounded memory cannot be checked")
        }
        return bounded
    }

    func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws(ConformanceFailure) {
        if !condition {
            throw self.failure(message())
        }
    }

    /// Checks every field of a decision; `nil` skips a field.
    func expect(
        _ decision: RateLimitDecision,
        allowed: Bool,
        remaining: Int,
        retryAfter: Int64? = nil,
        resetAfter: Int64? = nil,
        exceedsCapacity: Bool = false,
        _ what: @autoclosure () -> String
    ) throws(ConformanceFailure) {
        var expected = "allowed \(allowed), remaining \(remaining)"
        var matches =
            decision.isAllowed == allowed && decision.remaining == remaining
            && decision.exceedsCapacity == exceedsCapacity
        if let retryAfter {
            expected += ", retry after \(retryAfter) ns"
            matches = matches && decision.retryAfterNanoseconds == retryAfter
        }
        if let resetAfter {
            expected += ", reset after \(resetAfter) ns"
            matches = matches && decision.resetAfterNanoseconds == resetAfter
        }
        if exceedsCapacity { expected += ", exceeds capacity" }
        if !matches {
            throw self.failure("\(what()): expected \(expected); got \(decision)")
        }
    }

    func advance(_ clock: ManualClock, _ nanoseconds: Int64) throws(ConformanceFailure) {
        do {
            try clock.advance(nanoseconds: nanoseconds)
        } catch {
            throw self.failure("clock advance failed: \(error)")
        }
    }
}

let nanosecondsPerMillisecond: Int64 = 1_000_000
let nanosecondsPerSecond: Int64 = 1_000_000_000
