import RateLimit
import RateLimitTesting
import Testing

/// The stale-reading scenarios again on the partitioned engine at the extremes of its shard
/// count: one shard (every key shares one table and one floor), and the most shards the scenarios
/// allow — two keys each (they need room for two tracked keys in one partition, or one evicts the
/// other and the bound must grow by what that forgave).
@Suite("Stale readings")
struct StaleReadingTests {
    static let scenarios = ConformanceScenario.all(threadCounts: [], realClockThreadCounts: [])
        .filter { $0.name.hasPrefix("stale-reading") }

    @Test("sharded engine, 1 shard and 2 keys per shard", arguments: [true, false], scenarios)
    func shardedExtremes(oneShard: Bool, scenario: ConformanceScenario) throws {
        let suite = RateLimiterConformance<Int>(
            engine: oneShard ? "sharded (1 shard)" : "sharded (2 keys per shard)",
            makeKey: { $0 },
            makeLimiter: { policy, maxKeys, clock in
                let shards = oneShard ? 1 : min(max(1, maxKeys / 2), ShardedRateLimiter<Int>.maximumShardCount)
                return try ShardedRateLimiter<Int>(policy: policy, maxKeys: maxKeys, clock: clock, shards: shards)
            }
        )
        try suite.run(scenario)
    }

    @Test("every engine", arguments: RateLimitEngine.allCases, scenarios)
    func everyEngine(engine: RateLimitEngine, scenario: ConformanceScenario) throws {
        try engine.conformance { $0 }.run(scenario)
    }
}
