import RateLimit
import RateLimitTesting
import Testing

/// Every engine runs the whole conformance suite: deterministic scenarios, stale readings,
/// exactness and linearizable answers under contention on real threads at 1–32 threads, and
/// eviction.
@Suite("Conformance")
struct ConformanceTests {
    @Test("Int keys", arguments: RateLimitEngine.allCases, ConformanceScenario.all(realClockThreadCounts: []))
    func intKeys(engine: RateLimitEngine, scenario: ConformanceScenario) async throws {
        try await engine.conformance { $0 }.offloaded(scenario)
    }

    /// Strings are reference-counted and compared by content: the lock-free engine must read them
    /// safely while writers evict and reuse entries.
    @Test(
        "String keys", arguments: RateLimitEngine.allCases,
        ConformanceScenario.all(threadCounts: [2, 16], realClockThreadCounts: []))
    func stringKeys(engine: RateLimitEngine, scenario: ConformanceScenario) async throws {
        try await engine.conformance { "client-\($0)-with-a-name-longer-than-fifteen-bytes" }.offloaded(scenario)
    }

    /// The atomic engine with fenced read sections, as on kernels that refuse `membarrier`: the
    /// same suite, evictions and entry reuse after grace periods included.
    @Test(
        "String keys, fenced read sections",
        arguments: ConformanceScenario.all(threadCounts: [2, 16], realClockThreadCounts: []))
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

/// The real clock under saturation, one case at a time: the bounds hold whatever the scheduler
/// does (see `SaturationRun`), and running the cases one after another, each on threads of its
/// own, keeps them from starving each other and the async suites of the machine's cores for
/// seconds on end.
@Suite("Conformance on the real clock", .serialized)
struct RealClockConformanceTests {
    @Test(
        "saturation", arguments: RateLimitEngine.allCases,
        ConformanceScenario.all(threadCounts: [], realClockThreadCounts: [2, 16]).filter { $0.kind == .realClock })
    func saturation(engine: RateLimitEngine, scenario: ConformanceScenario) async throws {
        try await engine.conformance { $0 }.offloaded(scenario)
    }
}

extension RateLimiterConformance {
    /// Runs `scenario` on a thread kept for blocking work: real threads and spinning decisions must
    /// not hold Swift concurrency's few shared threads, which the async suites need.
    func offloaded(_ scenario: ConformanceScenario) async throws(ConformanceFailure) {
        try await RealThreads.offload { Result { () throws(ConformanceFailure) in try self.run(scenario) } }.get()
    }
}
