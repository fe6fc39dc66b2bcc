import Foundation
import RateLimitTesting
import Testing

@testable import RateLimitBenchmarkKit

/// `compare`'s statistics on data whose truth is known: the exact null distribution, a planted
/// 10 % regression, pure noise (the false-alarm rate and the interval's coverage, counted over
/// seeded datasets, never timed), and the files it refuses.
@Suite("Comparing runs")
struct ComparisonTests {
    /// A cell whose repetitions ran at `rates` ops/s.
    static func cell(_ engine: BenchmarkEngine, threads: Int = 2, _ rates: [Double]) -> CellResult {
        var cell = RecommendationTests.cell(
            engine, .uniformAllow, threads: threads, ops: rates.sorted()[rates.count / 2])
        cell.opsPerSecondRepetitions = rates
        cell.repetitions = rates.count
        return cell
    }

    static func report(_ cells: [CellResult]) -> BenchmarkReport {
        BenchmarkReport(
            machine: MachineDescription.current(), date: "2026-12-03", command: "test", cells: cells,
            recommendation: nil)
    }

    /// `count` rates around `center`, each off by up to ±`spread` (a fraction), skewed low as a
    /// busy machine skews them: a third of them lose up to three times as much.
    static func rates(_ count: Int, around center: Double, spread: Double, _ random: inout SplitMix64) -> [Double] {
        (0..<count).map { _ in
            let noise = Double.random(in: -spread...spread, using: &random)
            let stolen =
                Int.random(in: 0..<3, using: &random) == 0 ? Double.random(in: 0...(3 * spread), using: &random) : 0
            return center * (1 + noise - stolen)
        }
    }

    @Test("the exact null distribution of U: 3 + 3 values, and totals C(n+m, n)")
    func exactDistribution() {
        #expect(RankSumTest.exactDistribution(3, 3) == [1, 1, 2, 3, 3, 3, 3, 2, 1, 1])
        for (n, m, orders) in [(1, 1, 2.0), (2, 5, 21), (4, 4, 70), (8, 8, 12870), (5, 9, 2002)] {
            let distribution = RankSumTest.exactDistribution(n, m)
            #expect(distribution.count == n * m + 1)
            #expect(distribution.reduce(0, +) == orders)
            #expect(distribution == distribution.reversed(), "\(n)+\(m): not symmetric")
        }
    }

    @Test("3 + 3 repetitions fully apart: p = 0.1, and no 95 % interval exists")
    func tooFew() {
        let test = RankSumTest([1, 2, 3], [4, 5, 6], alpha: 0.05)
        #expect(test.u == 9 && abs(test.pValue - 0.1) < 1e-12 && test.interval == nil && test.shift == 3)
        let comparison = BenchmarkComparison.compare(
            Self.cell(.atomic, [10, 11, 12]), Self.cell(.atomic, [5, 6, 7]), threshold: 0.05, confidence: 0.95)
        #expect(comparison.verdict == .tooFewRepetitions && !comparison.isRegression)
    }

    @Test("a planted 10 % regression: slower, the interval holds 0.9, and it fails a 5 % threshold")
    func plantedRegression() throws {
        var random = SplitMix64(seed: 11)
        let base = Self.cell(.atomic, Self.rates(8, around: 20e6, spread: 0.01, &random))
        let new = Self.cell(.atomic, Self.rates(8, around: 18e6, spread: 0.01, &random))
        let comparison = try BenchmarkComparison(
            base: Self.report([base]), new: Self.report([new]), threshold: 0.05, confidence: 0.95)
        let cell = try #require(comparison.cells.first)
        let interval = try #require(cell.interval)
        #expect(cell.verdict == .slower && cell.isRegression && comparison.regressions.count == 1)
        #expect(interval.contains(0.9) && interval.upperBound < 0.95, "\(interval)")
        #expect(cell.pValue < 0.001)
        // The same slowdown within a 15 % threshold is reported, but does not fail.
        let lenient = BenchmarkComparison.compare(base, new, threshold: 0.15, confidence: 0.95)
        #expect(lenient.verdict == .slower && !lenient.isRegression)
        // And the other way round it is an improvement.
        #expect(BenchmarkComparison.compare(new, base, threshold: 0.05, confidence: 0.95).verdict == .faster)
    }

    /// Both runs from one distribution, 400 times: the test may claim a difference only as often
    /// as its size, 3.8 % for 8 + 8 at 95 % (the exact test is discrete: it rejects at U ≤ 13,
    /// probability 0.019 per tail), so about 15 times (σ = 3.8); and the interval must hold the
    /// true ratio 1 every other time. The datasets are seeded, so the counts are fixed (16 here);
    /// the bound of 28 sits 3.4 σ above the mean, and a test at twice the size (33 here) fails it.
    @Test("pure noise: few false alarms, and the interval covers the truth")
    func pureNoise() {
        var random = SplitMix64(seed: 2026)
        var alarms = 0
        var covered = 0
        for _ in 0..<400 {
            let base = Self.cell(.atomic, Self.rates(8, around: 20e6, spread: 0.05, &random))
            let new = Self.cell(.atomic, Self.rates(8, around: 20e6, spread: 0.05, &random))
            let cell = BenchmarkComparison.compare(base, new, threshold: 0.05, confidence: 0.95)
            if cell.verdict != .noSignificantDifference { alarms += 1 }
            if cell.interval?.contains(1) == true { covered += 1 }
        }
        #expect(alarms <= 28, "\(alarms) of 400 noise-only comparisons gave a verdict")
        #expect(alarms + covered == 400, "the verdict and the interval disagree")
    }

    @Test("large runs use the normal approximation and agree with the exact test's verdicts")
    func normalApproximation() {
        var random = SplitMix64(seed: 5)
        let base = Self.rates(60, around: 10e6, spread: 0.03, &random)
        let slower = Self.rates(60, around: 9.5e6, spread: 0.03, &random)
        let same = Self.rates(60, around: 10e6, spread: 0.03, &random)
        let shifted = RankSumTest(base.map(log), slower.map(log), alpha: 0.05)
        #expect(shifted.pValue < 0.001 && (shifted.interval?.upperBound ?? 0) < 0)
        #expect(shifted.interval?.contains(log(0.95)) == true, "\(String(describing: shifted.interval))")
        let null = RankSumTest(base.map(log), same.map(log), alpha: 0.05)
        #expect(null.interval?.contains(0) == true && null.pValue > 0.05)
    }

    @Test("cells match on engine, workload, threads, keys and clock; the rest is listed")
    func matching() throws {
        let rates = [1.0, 2, 3, 4, 5]
        let comparison = try BenchmarkComparison(
            base: Self.report([Self.cell(.atomic, rates), Self.cell(.mutex, rates)]),
            new: Self.report([
                Self.cell(.atomic, rates), Self.cell(.sharded, rates), Self.cell(.atomic, threads: 4, rates),
            ]),
            threshold: 0.05, confidence: 0.95)
        #expect(comparison.cells.map(\.base.engine) == [EngineName(.atomic)])
        #expect(comparison.onlyInBase.map(\.engine) == [EngineName(.mutex)])
        #expect(comparison.onlyInNew.count == 2)
        let table = comparison.table()
        #expect(table.contains("Only in the baseline: mutex uniform-allow at 2 threads."))
        #expect(comparison.markdown().hasPrefix("| workload | engine | threads |"))
    }

    @Test("files it cannot compare: the message names the file, the cell and the way out")
    func refused() throws {
        var old = Self.cell(.atomic, [1, 2, 3, 4])
        old.opsPerSecondRepetitions = nil
        #expect {
            try BenchmarkComparison(
                base: Self.report([old]), new: Self.report([Self.cell(.atomic, [1, 2, 3, 4])]), threshold: 0.05,
                confidence: 0.95, baseName: "BASE 'old.json'")
        } throws: { error in
            (error as? ArgumentError)?.description
                == "BASE 'old.json' has no per-repetition figures for atomic uniform-allow at 2 threads (opsPerSecondRepetitions): it was written before compare existed; run it again"
        }
        #expect {
            try BenchmarkComparison(
                base: Self.report([Self.cell(.mutex, [1, 2, 3, 4])]),
                new: Self.report([Self.cell(.atomic, [1, 2, 3, 4])]),
                threshold: 0.05, confidence: 0.95)
        } throws: { error in
            (error as? ArgumentError)?.description.hasPrefix("BASE and NEW have no cell in common") == true
        }
        #expect(throws: ArgumentError.self) { try ArgumentParsing.percentage("5 %%", name: "threshold", in: 0...0.99) }
        #expect(throws: ArgumentError.self) { try ArgumentParsing.percentage("100%", name: "threshold", in: 0...0.99) }
        #expect(try ArgumentParsing.percentage("5%", name: "threshold", in: 0...0.99) == 0.05)
        #expect(try ArgumentParsing.percentage("0.2", name: "threshold", in: 0...0.99) == 0.2)
    }
}

extension ComparisonTests {
    @Test("runs pooled: repetitions concatenated per cell, medians recomputed, one machine only")
    func pooling() throws {
        let first = Self.report([Self.cell(.atomic, [1, 2, 3]), Self.cell(.mutex, [7, 8, 9])])
        let second = Self.report([Self.cell(.atomic, [4, 5]), Self.cell(.sharded, [6])])
        let pooled = try BenchmarkReport.pooling([first, second])
        #expect(pooled.cells.map(\.engine) == [EngineName(.atomic), EngineName(.mutex), EngineName(.sharded)])
        let atomic = pooled.cells[0]
        #expect(atomic.opsPerSecondRepetitions == [1, 2, 3, 4, 5] && atomic.repetitions == 5)
        #expect(atomic.opsPerSecond == 3 && atomic.opsPerSecondMin == 1 && atomic.opsPerSecondMax == 5)
        var old = Self.cell(.atomic, [1])
        old.opsPerSecondRepetitions = nil
        #expect(try BenchmarkReport.pooling([first, Self.report([old])]).cells[0].opsPerSecondRepetitions == nil)
        var elsewhere = second
        elsewhere.machine.label = "arm64-64c-graviton"
        #expect {
            try BenchmarkReport.pooling([first, elsewhere])
        } throws: { error in
            (error as? ArgumentError)?.description.hasSuffix("and arm64-64c-graviton: pool runs of one machine") == true
        }
    }
}
