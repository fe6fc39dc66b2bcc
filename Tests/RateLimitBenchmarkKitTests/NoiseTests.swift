import Foundation
import RateLimit
import RateLimitTesting
import Testing

@testable import RateLimitBenchmarkKit

/// What the harness sees of noise by itself: the host's steal time, the scheduler's counters, the
/// spread of repetitions, and the re-runs of cells over the limits.
@Suite("Noise")
struct NoiseTests {
    @Test func stealIsTheStolenShareOfAllTicksBetweenTwoReadings() throws {
        let before = try #require(HostCPUTimes.parse("cpu  100 5 50 800 10 1 2 30 7 0"))
        #expect(before == HostCPUTimes(total: 998, steal: 30))
        let after = try #require(HostCPUTimes.parse("cpu  150 5 70 900 10 1 2 50 9 0"))
        let interval = after.since(before)
        #expect(interval == HostCPUTimes(total: 190, steal: 20))
        #expect(interval.stealFraction == 20.0 / 190.0)
        // No tick between the readings: no figure, rather than 0 %.
        #expect(before.since(before).stealFraction == nil)
        // Not the aggregate line, or a kernel without a steal column.
        #expect(HostCPUTimes.parse("cpu0 1 2 3 4 5 6 7 8 9 10") == nil)
        #expect(HostCPUTimes.parse("cpu  1 2 3 4 5 6 7") == nil)
        #expect(HostCPUTimes.current() != nil)
    }

    @Test func schedulerCountersComeFromTheThreadsSchedFile() throws {
        let text = """
            cat (23766, #threads: 1)
            -------------------------------------------------------------------
            se.exec_start                                :      20556474.939647
            se.nr_migrations                             :                    4
            nr_switches                                  :                   12
            nr_voluntary_switches                        :                    9
            nr_involuntary_switches                      :                    3
            """
        let counters = try #require(ThreadSchedulingCounters.parse(text))
        #expect(counters == ThreadSchedulingCounters(involuntarySwitches: 3, migrations: 4))
        let later = ThreadSchedulingCounters(involuntarySwitches: 10, migrations: 6)
        #expect(later.since(counters) == ThreadSchedulingCounters(involuntarySwitches: 7, migrations: 2))
        #expect(
            ThreadSchedulingCounters.sum([counters, later])
                == ThreadSchedulingCounters(involuntarySwitches: 13, migrations: 10))
        // One thread without figures makes the sum unknown, not smaller.
        #expect(ThreadSchedulingCounters.sum([counters, nil]) == nil)
        #expect(
            ThreadSchedulingCounters.sum([counters, ThreadSchedulingCounters(involuntarySwitches: 1, migrations: nil)])
                == ThreadSchedulingCounters(involuntarySwitches: 4, migrations: nil))
        #expect(ThreadSchedulingCounters.current() != nil)
    }

    @Test func theCoefficientOfVariationIsTheSampleDeviationOverTheMean() throws {
        // Mean 10, sample variance (1 + 1) / 2 = 1.
        #expect(sampleCoefficientOfVariation([9, 10, 11]) == 0.1)
        #expect(sampleCoefficientOfVariation([5]) == nil)
        #expect(sampleCoefficientOfVariation([0, 0]) == nil)
        var cell = RecommendationTests.cell(.atomic, .hotAllow, threads: 1, ops: 1)
        cell.setRepetitions([9, 10, 11])
        #expect(cell.coefficientOfVariation == 0.1)
    }

    @Test func aCellOverALimitSaysWhich() {
        let limits = NoiseLimits(maxSteal: 0.05, maxCoefficientOfVariation: 0.10)
        var cell = RecommendationTests.cell(.atomic, .hotAllow, threads: 1, ops: 1)
        #expect(limits.flags(for: cell).isEmpty)
        cell.stealFraction = 0.05
        cell.coefficientOfVariation = 0.10
        #expect(limits.flags(for: cell).isEmpty)
        #expect(limits.excess(of: cell) == 1)
        cell.stealFraction = 0.121
        #expect(limits.flags(for: cell) == ["steal 12.1 % > 5.0 %"])
        cell.coefficientOfVariation = 0.3
        #expect(limits.flags(for: cell) == ["steal 12.1 % > 5.0 %", "CV 30.0 % > 10.0 %"])
        #expect(abs(limits.excess(of: cell) - 3) < 1e-9)
    }

    /// A limit every measured cell is over (a coefficient of variation above -1) makes every
    /// attempt noisy, so each group is measured `retryNoisy + 1` times, and says so.
    @Test func noisyCellsAreMeasuredAgainUpToTheLimit() async {
        var plan = BenchmarkPlan(
            engines: [.floor, .atomic], workloads: [.hotAllow], threads: [1, 2], keys: 10,
            duration: .milliseconds(5), repetitions: 2, clock: .precise)
        plan.noiseLimits = NoiseLimits(maxSteal: 1, maxCoefficientOfVariation: -1)
        plan.retryNoisy = 2
        let noisyPlan = plan
        let (cells, events) = await RealThreads.offload {
            var events: [BenchmarkProgress] = []
            let cells = BenchmarkRunner.run(noisyPlan, bytesPerKey: [:]) { events.append($0) }
            return (cells, events)
        }
        let retries = events.filter { if case .retry = $0 { true } else { false } }
        let repetitions = events.compactMap { event -> (Int, Int)? in
            if case .repetition(let done, let total, _, _) = event { (done, total) } else { nil }
        }
        // Two groups (1 and 2 threads), three attempts each, two engines × two repetitions.
        #expect(retries.count == 4)
        #expect(repetitions.count == 24)
        #expect(repetitions.map(\.0) == Array(1...24))
        #expect(repetitions.last?.1 == 24)
        #expect(retries.first?.line.contains("attempt 2 of 3") == true)
        #expect(cells.count == 4)
        for cell in cells {
            #expect(cell.attempts == 3) // every attempt was over the limit
            #expect(cell.noise?.first?.hasPrefix("CV ") == true)
            #expect(cell.involuntaryContextSwitches != nil)
        }
        // Within the limits, nothing is measured twice.
        plan.noiseLimits = NoiseLimits(maxSteal: 1.1, maxCoefficientOfVariation: .infinity)
        let cleanPlan = plan
        let clean = await RealThreads.offload {
            var count = 0
            let cells = BenchmarkRunner.run(cleanPlan, bytesPerKey: [:]) { _ in count += 1 }
            return (cells, count)
        }
        #expect(clean.1 == 8)
        #expect(clean.0.allSatisfy { $0.attempts == 1 && $0.noise == [] })
    }

    @Test func pinnedWorkersRunOnTheirCPUs() async {
        let topology = CPUTopology.current()
        let order = topology.pinningOrder
        let cell = CellConfiguration(
            engine: .atomic, workload: .hotAllow, threads: min(2, order.count),
            settings: CellSettings(keys: 10, clock: .precise, duration: .milliseconds(5), pinningOrder: order))
        let measurement = await RealThreads.offload { CellRunner.measure(cell) }
        #expect(measurement.cpus == Array(order.prefix(cell.threads)))
        // A pinned thread cannot move once pinned (before its first reading).
        #expect(measurement.scheduling?.migrations ?? 0 == 0)
    }
}
