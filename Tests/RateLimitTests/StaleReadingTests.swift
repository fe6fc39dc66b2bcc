import RateLimit
import RateLimitTesting
import Testing

/// The stale-reading scenarios again on the partitioned engine at the extremes of its shard
/// count: one shard (every key shares one table and one floor) and one key per shard.
@Suite("Stale readings")
struct StaleReadingTests {
    static let scenarios = ConformanceScenario.all(threadCounts: [], realClockThreadCounts: [])
        .filter { $0.name.hasPrefix("stale-reading") }

    @Test("sharded engine, shards 1 and maxKeys", arguments: [true, false], scenarios)
    func shardedExtremes(oneShard: Bool, scenario: ConformanceScenario) throws {
        let suite = RateLimiterConformance<Int>(engine: oneShard ? "sharded (1 shard)" : "sharded (1 key per shard)", makeKey: { $0 }) {
            policy, maxKeys, clock in
            try ShardedRateLimiter<Int>(policy: policy, maxKeys: maxKeys, clock: clock, shards: oneShard ? 1 : min(maxKeys, ShardedRateLimiter<Int>.maximumShardCount))
        }
        try suite.run(scenario)
    }

    @Test("every engine", arguments: Engine.allCases, scenarios)
    func everyEngine(engine: Engine, scenario: ConformanceScenario) throws {
        try engine.conformance { $0 }.run(scenario)
    }
}
