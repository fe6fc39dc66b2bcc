import Foundation
import RateLimit
import RateLimitTesting
import Testing

@testable import RateLimitBenchmarkKit

/// Open-loop cells (`--rate`): decisions on a schedule, every one timed from when it was due.
@Suite("Open loop")
struct OpenLoopTests {
    @Test func ratesAreAFixedRateOrAShareOfTheMaximum() throws {
        #expect(try OfferedRate.parse("2e6") == .perSecond(2e6))
        #expect(try OfferedRate.parse(" 1 ") == .perSecond(1))
        #expect(try OfferedRate.parse("50%") == .fractionOfMaximum(0.5))
        #expect(try OfferedRate.parse("100%") == .fractionOfMaximum(1))
        for text in ["0", "0%", "0.5", "101%", "-5", "2e10", "fast", "nan", ""] {
            #expect {
                try OfferedRate.parse(text)
            } throws: { error in
                "\(error)".hasPrefix("invalid rate '\(text)': must be a rate in 1...1e9 decisions per second")
            }
        }
    }

    @Test func percentilesAreEvenlySpacedOnTheTailAxis() {
        let percentiles = LatencyPoint.percentiles
        #expect(percentiles.count == 22 && percentiles.first == 0 && percentiles.last == 100)
        #expect(zip(percentiles, percentiles.dropFirst()).allSatisfy { $0 < $1 })
        for (index, expected) in [(4, 90.0), (8, 99.0), (12, 99.9), (16, 99.99), (20, 99.999)] {
            #expect(abs(percentiles[index] - expected) < 1e-9, "\(index): \(percentiles[index])")
        }
    }

    /// The schedule bounds the decisions: each thread's first is due no earlier than the cell's
    /// set-up began, and one falls due every `threads / rate` seconds after it, so over the time
    /// from before `measure` to after it a thread can issue at most `elapsed × rate / threads + 1`.
    /// A closed loop would issue millions here.
    @Test(arguments: [BenchmarkEngine.atomic, .mutex])
    func anOpenLoopCellIssuesNoMoreThanItsSchedule(engine: BenchmarkEngine) async {
        let rate = 2000.0
        let threads = 2
        let cell = CellConfiguration(
            engine: engine, workload: .uniformAllow, threads: threads,
            settings: CellSettings(keys: 100, clock: .precise, duration: .milliseconds(50)), offeredRate: rate)
        let clock = MonotonicClock()
        let before = clock.monotonicNanoseconds()
        let measurement = await RealThreads.offload { CellRunner.measure(cell) }
        let elapsed = Double(clock.monotonicNanoseconds() - before) / 1e9
        // A due time is truncated to whole nanoseconds: at most 1 ns early.
        let bound = Double(threads) * ((elapsed + 1e-9) * rate / Double(threads) + 1)
        #expect(Double(measurement.operations) <= bound, "\(measurement.operations) decisions in \(elapsed) s")
        // Every thread issues at least its first decision, and every decision is timed.
        #expect(measurement.operations >= threads)
        #expect(Int(measurement.latency.totalCount) == measurement.operations)
        #expect(measurement.allowed == measurement.operations)
    }

    @Test func aShareOfTheMaximumFollowsEachEnginesClosedLoopCells() async {
        var plan = BenchmarkPlan(
            engines: [.floor, .atomic, .mutex], workloads: [.hotAllow], threads: [1], keys: 10,
            duration: .milliseconds(10), repetitions: 2, clock: .precise)
        plan.offeredRate = .fractionOfMaximum(0.25)
        let share = plan
        let (cells, events) = await RealThreads.offload {
            var events: [BenchmarkProgress] = []
            return (BenchmarkRunner.run(share, bytesPerKey: [:]) { events.append($0) }, events)
        }
        // Closed loop for the three, then the timed maximum and the open loop for the two
        // engines: (3 + 2 + 2) × 2 repetitions.
        #expect(plan.repetitionCount == 14 && events.count == 14)
        var timedMaximum: [String: [Double]] = [:]
        for case .repetition(_, _, let cell, let rate) in events where cell.contains("every decision timed") {
            let engine = cell.contains("atomic") ? "atomic" : "mutex"
            timedMaximum[engine, default: []].append(rate)
        }
        let closed = cells.filter { $0.offeredOpsPerSecond == nil }
        let open = cells.filter { $0.offeredOpsPerSecond != nil }
        #expect(closed.map(\.engine) == [.floor, .atomic, .mutex].map(EngineName.init))
        #expect(open.map(\.engine) == [.atomic, .mutex].map(EngineName.init))
        for cell in open {
            // The median of two repetitions is their mean.
            let rates = timedMaximum[cell.engine.rawValue] ?? []
            #expect(rates.count == 2)
            #expect(cell.offeredOpsPerSecond == rates.reduce(0, +) / 2 * 0.25)
            #expect(cell.latencyPercentiles?.count == LatencyPoint.percentiles.count)
            #expect(cell.latencyPercentiles?.last?.nanoseconds == cell.maxNanoseconds)
            #expect(cell.p90Nanoseconds != nil && cell.p9999Nanoseconds != nil)
        }
        // The recommendation and compare look at throughput: closed-loop cells only.
        #expect(Recommendation.make(from: cells, threads: 1) == Recommendation.make(from: closed, threads: 1))
        let report = BenchmarkReport(
            machine: .current(), date: "2026-12-03", command: "test", cells: cells, recommendation: nil)
        let comparison = try? BenchmarkComparison(base: report, new: report, threshold: 0.05, confidence: 0.95)
        #expect(comparison?.cells.count == 3 && comparison?.onlyInBase.isEmpty == true)
        // One latency chart for the workload and thread count, one line per engine, and a
        // Markdown section with its table.
        let chart = LatencyChart.render(workload: .hotAllow, threads: 1, cells: cells, machine: report.machine)
        #expect(chart?.components(separatedBy: "<polyline").count == 3)
        #expect(LatencyChart.render(workload: .churn, threads: 1, cells: cells, machine: report.machine) == nil)
        let markdown = MarkdownRenderer.render(
            report, chartFiles: [:],
            latencyChartFiles: [LatencyChartKey(workload: .hotAllow, threads: 1): "latency.svg"])
        #expect(markdown.contains("## Open-loop latency"))
        #expect(markdown.contains("![hot-allow at 1 thread: latency by percentile](latency.svg)"))
    }

    @Test func aFixedRateMeasuresTheEnginesOpenLoopOnly() async {
        var plan = BenchmarkPlan(
            engines: [.floor, .sharded], workloads: [.zipfAllow], threads: [2], keys: 100,
            duration: .milliseconds(10), repetitions: 1, clock: .precise)
        plan.offeredRate = .perSecond(5000)
        let fixed = plan
        let cells = await RealThreads.offload { BenchmarkRunner.run(fixed, bytesPerKey: [:]) { _ in } }
        #expect(plan.repetitionCount == 1)
        #expect(cells.map(\.engine) == [EngineName(.sharded)])
        #expect(cells.first?.offeredOpsPerSecond == 5000)
        #expect(Recommendation.make(from: cells, threads: 2) == nil)
    }
}
