import RateLimit
import RateLimitTesting
import Testing

/// Every engine runs the reservation scenarios of the conformance suite: exact delays against the
/// model, cancellation rules, and exact totals with acquisitions, reservations and cancellations
/// racing on real threads at 1–32 threads.
@Suite("Reservations: conformance")
struct ReservationConformanceTests {
    @Test("Int keys", arguments: RateLimitEngine.allCases, ConformanceScenario.reservations())
    func intKeys(engine: RateLimitEngine, scenario: ConformanceScenario) async throws {
        try await engine.conformance { $0 }.offloaded(scenario)
    }

    @Test(
        "String keys", arguments: RateLimitEngine.allCases, ConformanceScenario.reservations(threadCounts: [2, 16]))
    func stringKeys(engine: RateLimitEngine, scenario: ConformanceScenario) async throws {
        try await engine.conformance { "client-\($0)-with-a-name-longer-than-fifteen-bytes" }.offloaded(scenario)
    }

    @Test("atomic, fenced read sections", arguments: ConformanceScenario.reservations(threadCounts: [2, 16]))
    func fencedReadSections(scenario: ConformanceScenario) async throws {
        let suite = RateLimiterConformance(
            engine: "atomic-fenced",
            makeKey: { "client-\($0)-fenced" },
            makeLimiter: { policy, maxKeys, clock in
                try AtomicRateLimiter<String>(policy: policy, maxKeys: maxKeys, clock: clock, expeditedReaders: false)
            }
        )
        try await suite.offloaded(scenario)
    }
}

/// A reservation records where its tokens came from; a cancellation on another engine is a
/// programming error, and every built-in engine checks the owner before touching a bucket.
@Suite("Reservations")
struct ReservationTests {
    static let policy = try! BucketPolicy(capacity: 1, refill: 10, every: .seconds(1))

    @Test("the reservation cancels on the engine that made it", arguments: RateLimitEngine.allCases)
    func cancelsOnItsEngine(engine: RateLimitEngine) throws {
        let clock = ManualClock()
        let limiter = try #require(
            try engine.make(policy: Self.policy, maxKeys: 8, clock: clock, keyType: Int.self)
                as? any ReservingRateLimiter<Int>)
        _ = limiter.acquireSynchronously(1)
        let reservation = try #require(limiter.reserve(1, maxWait: .seconds(1)))
        #expect(reservation.delay == .milliseconds(100))
        #expect(reservation.key == 1 && reservation.cost == 1)
        #expect(reservation.cancel())
        // The turn is free again.
        #expect(limiter.reserve(1, maxWait: .seconds(1))?.delay == .milliseconds(100))
    }

    @Test("a refusal takes nothing", arguments: RateLimitEngine.allCases)
    func refusalTakesNothing(engine: RateLimitEngine) throws {
        let limiter = try #require(
            try engine.make(policy: Self.policy, maxKeys: 8, clock: ManualClock(), keyType: Int.self)
                as? any ReservingRateLimiter<Int>)
        _ = limiter.acquireSynchronously(1)
        #expect(limiter.reserve(1, maxWait: .milliseconds(99)) == nil)
        #expect(limiter.reserve(1, cost: 2, maxWait: .seconds(100)) == nil)
        #expect(limiter.reserve(1, maxWait: .milliseconds(100))?.delay == .milliseconds(100))
    }
}
