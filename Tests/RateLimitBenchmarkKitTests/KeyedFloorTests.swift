import RateLimit
import RateLimitBenchmarkKit
import RateLimitTesting
import Testing

/// The `floor-keyed` reference row: a real bucket decision on an array word, measured only where
/// the workload's keys index that array, and the ratio every engine gets to it there.
@Suite("Keyed floor")
struct KeyedFloorTests {
    @Test func itDecidesAsASmoothBucket() throws {
        let clock = ManualClock()
        let limiter = KeyedFloorLimiter(
            policy: try BucketPolicy(capacity: 3, refill: 1, every: .seconds(1)), keys: 4, clock: clock)
        #expect((0..<3).allSatisfy { _ in limiter.acquire(2, cost: 1).isAllowed })
        let denied = limiter.acquire(2, cost: 1)
        #expect(!denied.isAllowed)
        #expect(denied.retryAfter == .seconds(1))
        // Keys are separate words.
        #expect(limiter.acquire(3, cost: 3).isAllowed && !limiter.acquire(3, cost: 1).isAllowed)
        try clock.advance(by: .seconds(1))
        let allowed = limiter.acquire(2, cost: 1)
        #expect(allowed.isAllowed && allowed.remaining == 0 && allowed.resetAfter == .seconds(3))
        #expect(limiter.acquire(0, cost: 3).remaining == 0)
    }

    @Test func itIsMeasuredOnTheWorkloadsOfIntKeysOnly() async {
        #expect(BenchmarkEngine(rawValue: "floor-keyed") == .floorKeyed)
        #expect(BenchmarkEngine.allCases.contains(.floorKeyed) && !BenchmarkEngine.floorKeyed.isRateLimiter)
        #expect(
            Workload.standard.filter(BenchmarkEngine.floorKeyed.measures) == [
                .hotAllow, .hotDeny, .uniformAllow, .zipfAllow,
            ])
        var plan = BenchmarkPlan(
            engines: [.atomic, .floor, .floorKeyed], workloads: [.uniformAllow, .uniformIP], threads: [1], keys: 100,
            duration: .milliseconds(10), repetitions: 2, clock: .precise)
        #expect(plan.repetitionCount == (3 + 2) * 2)
        plan.offeredRate = .fractionOfMaximum(0.5)
        // Closed loop for every row; the timed maximum and the open loop for atomic only.
        #expect(plan.repetitionCount == (3 + 2 + 2 * 2) * 2)
        plan.offeredRate = nil
        let closedPlan = plan
        let cells = await RealThreads.offload { BenchmarkRunner.run(closedPlan, bytesPerKey: [:]) { _ in } }
        #expect(cells.map(\.engine.rawValue) == ["atomic", "floor", "floor-keyed", "atomic", "floor"])
        let keyed = cells.filter { $0.workload == .uniformAllow }
        #expect(keyed.allSatisfy { ($0.ratioToKeyedFloor ?? 0) > 0 })
        #expect(keyed.first { $0.engine == EngineName(.floorKeyed) }?.ratioToKeyedFloor == 1)
        #expect(keyed.allSatisfy { $0.denied == 0 }) // never-dry buckets
        #expect(cells.filter { $0.workload == .uniformIP }.allSatisfy { $0.ratioToKeyedFloor == nil })
        let report = BenchmarkReport(
            machine: .current(), date: "2026-12-03", command: "test", cells: cells, recommendation: nil)
        let markdown = MarkdownRenderer.render(report, chartFiles: [:])
        #expect(markdown.contains("and to `floor-keyed`") && markdown.contains(" keyed)"))
        #expect(ResultTable.render(cells).contains("×keyed"))
    }
}
