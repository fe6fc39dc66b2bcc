import RateLimit
import RateLimitTesting
import Testing

/// Every engine runs the whole conformance suite: deterministic scenarios, exactness under
/// contention on real threads at 1–32 threads, the real clock under saturation, and eviction.
@Suite("Conformance")
struct ConformanceTests {
    @Test("Int keys", arguments: Engine.allCases, ConformanceScenario.all())
    func intKeys(engine: Engine, scenario: ConformanceScenario) throws {
        try engine.conformance { $0 }.run(scenario)
    }

    /// Strings are reference-counted and compared by content: the lock-free engine must read them
    /// safely while writers evict and reuse entries.
    @Test("String keys", arguments: Engine.allCases, ConformanceScenario.all(threadCounts: [2, 16], realClockThreadCounts: []))
    func stringKeys(engine: Engine, scenario: ConformanceScenario) throws {
        try engine.conformance { "client-\($0)-with-a-name-longer-than-fifteen-bytes" }.run(scenario)
    }
}
