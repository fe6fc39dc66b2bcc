import RateLimit
import RateLimitBenchmarkKit
import RateLimitTesting
import Testing

/// The measuring machinery measures: short cells on every engine and workload produce operations,
/// the verdicts the workload implies, and the statistics the engines report. Cells run on threads
/// kept for blocking work (`RealThreads.offload`), never on Swift concurrency's shared threads.
@Suite("Runner", .serialized)
struct RunnerTests {
    @Test(arguments: BenchmarkEngine.localEngines)
    func everyWorkloadRuns(engine: BenchmarkEngine) async {
        for workload in Workload.standard where engine.measures(workload) {
            let cell = CellConfiguration(
                engine: engine, workload: workload, threads: 2, keys: 1000, clock: .precise, duration: .milliseconds(30)
            )
            let measurement = await RealThreads.offload { CellRunner.measure(cell) }
            // Each of the two threads runs at least one batch of 64, however late it starts.
            #expect(measurement.operations >= 128, "\(engine) \(workload)")
            #expect(measurement.residentSamples.count == 8)
            switch workload {
            case .hotDeny where engine != .floor:
                // The keyed floor is a real bucket too.
                // An empty bucket refilling one token per second admits at most one per second.
                #expect(measurement.allowed <= 1, "\(engine) hot-deny admitted \(measurement.allowed)")
            case .churn where engine.isRateLimiter:
                // Every request inserts into a table filled to the bound before the run: the first
                // must remove a bucket — evicted if it still owes tokens, dropped if the set-up
                // took long enough (ThreadSanitizer) for it to fill up again.
                let removed = (measurement.evictions ?? 0) + (measurement.expirations ?? 0)
                #expect(removed > 0, "\(engine) churn removed nothing in \(measurement.operations) inserts")
                #expect(measurement.allowed == measurement.operations)
            case .hotAllow, .hotAllowAt, .hotAllowHandle, .uniformAllow, .zipfAllow, .uniformIP:
                #expect(
                    measurement.allowed == measurement.operations,
                    "\(engine) \(workload) denied requests on never-dry buckets")
            default:
                break
            }
            if engine == .atomic {
                #expect(measurement.casRetries != nil)
            }
        }
    }

    @Test func aDenyRatioDeniesThatShare() async {
        // 200 ms: thousands of decisions even under ThreadSanitizer, so the sampled share is close
        // to the ratio; well under the one second in which a drained bucket earns a token back.
        let cell = CellConfiguration(
            engine: .sharded, workload: .uniformAllow, threads: 2, keys: 1000, clock: .precise,
            duration: .milliseconds(200), denyRatio: 0.25)
        let measurement = await RealThreads.offload { CellRunner.measure(cell) }
        let denied = Double(measurement.operations - measurement.allowed) / Double(measurement.operations)
        #expect(denied > 0.2 && denied < 0.3, "denied share \(denied)")
    }

    /// Sixteen rounds per engine: every kind of round (frozen hot key, eviction pressure,
    /// scripted-stale readings across drops, real clock) in both refill modes at 1 and 4 threads.
    /// Small rounds: a few hundred thousand decisions, in a debug build and under TSan.
    @Test func stressIsCleanOnEveryEngine() async {
        for engine in [RateLimitEngine.mutex, .atomic, .sharded] {
            let outcome = await RealThreads.offload {
                StressRunner.run(engine: engine, threads: [1, 4], limit: .rounds(16), size: .small) { _ in }
            }
            #expect(outcome.isClean, "\(outcome) \(outcome.firstViolations)")
            #expect(
                outcome.rounds == 16 && Set(outcome.decisionsByClock.keys) == ["frozen", "scripted-stale", "real"],
                "\(outcome)")
        }
    }

    @Test func summariesTakeTheMedianAndTheRatioToTheFloor() async {
        let plan = BenchmarkPlan(
            engines: [.floor, .mutex], workloads: [.hotAllow], threads: [1], keys: 10, duration: .milliseconds(20),
            repetitions: 3, clock: .precise)
        let (cells, lines) = await RealThreads.offload {
            var lines: [String] = []
            let cells = BenchmarkRunner.run(plan, bytesPerKey: [.mutex: 30]) { lines.append($0.line) }
            return (cells, lines)
        }
        #expect(lines.count == 6)
        #expect(cells.count == 2)
        let mutex = cells.first { $0.engine == EngineName(.mutex) }
        #expect(mutex?.repetitions == 3)
        #expect(mutex.map { $0.opsPerSecondMin <= $0.opsPerSecond && $0.opsPerSecond <= $0.opsPerSecondMax } == true)
        #expect(mutex?.bytesPerKey == 30)
        #expect(cells.first { $0.engine == EngineName(.floor) }?.ratioToFloor == 1)
        #expect((mutex?.ratioToFloor ?? 0) > 0)
    }

    @Test func tutorialDesignBurstsThenDenies() {
        let limiter = TutorialDesignLimiter<String>(
            policy: try! BucketPolicy(capacity: 10, refill: 2, every: .seconds(1)))
        let allowed = (0..<15).filter { _ in limiter.acquire("client").isAllowed }.count
        #expect(allowed == 10)
        #expect(limiter.bucketCount == 1)
    }
}
