import Histogram
import Logging
import RateLimit
import RateLimitBenchmarkKit
import RateLimitRedis

/// The Redis engine's cells: `callers` concurrent tasks calling `acquire` in a loop for the
/// duration, each decision timed, against a running Redis.
///
/// Its floor is Redis itself: `redis-benchmark` running the same `EVALSHA` with the same
/// concurrency, which `Benchmarks/redis/run.sh` runs next to these cells.
enum RedisCells {
    /// 1,000 tokens per second per key, bursts of 1,000: spread over `--keys` keys no bucket runs
    /// dry at the rates Redis reaches, so every decision writes its key — the expensive path.
    static let policy = try! BucketPolicy(capacity: 1000, refill: 1000, every: .seconds(1))

    /// Bucket names `bench:{000000000042}`: the form `redis-benchmark -r` substitutes for
    /// `__rand_int__`, so both sides touch the same keys.
    static let keyPrefix = "bench:"

    static func keyName(_ index: Int) -> String {
        let digits = String(index)
        return String(repeating: "0", count: max(0, 12 - digits.count)) + digits
    }

    /// The arguments of the `EVALSHA` that one decision sends, for `redis-benchmark`.
    static func evalshaArguments() throws -> [String] {
        try RedisRateLimiter<String>.evalshaArguments(policy: self.policy, redisKey: self.keyPrefix + "{__rand_int__}")
    }

    /// Measures every caller count in `plan.threads`.
    static func run(url: String, pool: Int, plan: BenchmarkPlan, progress: (String) -> Void) async throws
        -> [CellResult]
    {
        var configuration = try RedisConfiguration(url: url)
        configuration.keyPrefix = self.keyPrefix
        configuration.poolSize = pool
        configuration.commandTimeout = .seconds(2)
        var logger = Logger(label: "ratelimit-bench")
        logger.logLevel = .warning
        let limiter = try RedisRateLimiter<String>(
            policy: self.policy, configuration: configuration, failurePolicy: .throwError, logger: logger)
        try await limiter.waitUntilConnected()
        defer { Task { await limiter.shutdown() } }
        let names = (0..<plan.settings.keys).map(self.keyName)
        var cells: [CellResult] = []
        for callers in plan.threads {
            // A short warm-up fills the connections' pipelines and Redis's caches.
            _ = try await self.measure(limiter, names: names, callers: callers, duration: .milliseconds(300))
            var measurements: [RepetitionMeasurement] = []
            for repetition in 1...plan.repetitions {
                let measurement = try await self.measure(
                    limiter,
                    names: names,
                    callers: callers,
                    duration: plan.settings.duration
                )
                measurements.append(measurement)
                progress("redis × \(callers) callers, rep \(repetition): \(Int(measurement.operationsPerSecond)) ops/s")
            }
            let cell = BenchmarkRunner.summarise(
                measurements,
                engine: EngineSelection.redis.name,
                workload: .uniformAllow,
                threads: callers,
                plan: plan,
                bytesPerKey: nil
            )
            cells.append(cell)
        }
        return cells
    }

    static func measure(_ limiter: RedisRateLimiter<String>, names: [String], callers: Int, duration: Duration)
        async throws -> RepetitionMeasurement
    {
        let clock = ContinuousClock()
        let start = clock.now
        let end = start + duration
        let tallies = try await withThrowingTaskGroup(of: (Int, Int, Histogram<UInt64>).self) { group in
            for caller in 0..<callers {
                group.addTask {
                    var random = SystemRandomNumberGenerator()
                    var latency = RepetitionMeasurement.makeHistogram()
                    var operations = 0
                    var allowed = 0
                    _ = caller
                    while clock.now < end {
                        let name = names[Int.random(in: 0..<names.count, using: &random)]
                        let started = clock.now
                        if try await limiter.acquire(name, cost: 1).isAllowed { allowed += 1 }
                        _ = latency.record(UInt64(max(0, (clock.now - started).saturatingNanoseconds)))
                        operations += 1
                    }
                    return (operations, allowed, latency)
                }
            }
            var all: [(Int, Int, Histogram<UInt64>)] = []
            for try await tally in group { all.append(tally) }
            return all
        }
        let elapsed = (clock.now - start).saturatingNanoseconds
        var latency = RepetitionMeasurement.makeHistogram()
        for tally in tallies { latency.add(tally.2) }
        return RepetitionMeasurement(
            operations: tallies.reduce(0) { $0 + $1.0 },
            elapsedNanoseconds: elapsed,
            allowed: tallies.reduce(0) { $0 + $1.1 },
            latency: latency,
            residentSamples: []
        )
    }
}
