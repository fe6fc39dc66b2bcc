import Foundation

/// Two runs of `ratelimit-bench run`, cell by cell: is the new run faster, slower, or not
/// distinguishable from the baseline? What `ratelimit-bench compare` prints.
///
/// Closed-loop cells match on engine, workload, threads, keys and clock (open-loop cells, whose
/// throughput is the rate offered, are left out). Per cell the repetitions' ops/s are
/// compared on a log scale with ``RankSumTest``: the ratio is the Hodges–Lehmann estimate (the
/// median of all `new[j] / base[i]`), its interval the matching distribution-free confidence
/// interval, and the verdict follows the interval: above 1 faster, below 1 slower, otherwise no
/// significant difference.
package struct BenchmarkComparison: Sendable {
    /// What a cell's interval says.
    package enum Verdict: String, Sendable {
        case faster
        case slower
        case noSignificantDifference = "~"
        /// Too few repetitions to reach the confidence level (4 + 4 are needed at 95 %).
        case tooFewRepetitions = "too few repetitions"
    }

    /// One cell present in both runs.
    package struct Cell: Sendable {
        package var base: CellResult
        package var new: CellResult
        /// New over base: the Hodges–Lehmann estimate of the ratio of ops/s.
        package var ratio: Double
        /// The ratio's confidence interval; `nil` with too few repetitions.
        package var interval: ClosedRange<Double>?
        package var pValue: Double
        package var verdict: Verdict
        /// Significantly slower, by more than the threshold: `compare` exits 1.
        package var isRegression: Bool
    }

    package var cells: [Cell]
    package var onlyInBase: [CellResult]
    package var onlyInNew: [CellResult]
    /// In `(0, 1)`, such as 0.95.
    package var confidence: Double
    /// The slowdown, as a fraction, beyond which a significant one fails: 0.05 for 5 %.
    package var threshold: Double

    package var regressions: [Cell] { self.cells.filter(\.isRegression) }

    /// - Throws: ``ArgumentError`` when a run's cells carry no per-repetition figures (files
    ///   written before `compare` existed) or the runs have no cell in common.
    package init(
        base: BenchmarkReport, new: BenchmarkReport, threshold: Double, confidence: Double,
        baseName: String = "BASE", newName: String = "NEW"
    ) throws(ArgumentError) {
        self.confidence = confidence
        self.threshold = threshold
        // Throughput is compared; an open-loop cell's ops/s is the rate it was offered.
        var base = base
        var new = new
        base.cells.removeAll { $0.offeredOpsPerSecond != nil }
        new.cells.removeAll { $0.offeredOpsPerSecond != nil }
        for (report, name) in [(base, baseName), (new, newName)] {
            if let cell = report.cells.first(where: { ($0.opsPerSecondRepetitions ?? []).isEmpty }) {
                throw ArgumentError(
                    "\(name) has no per-repetition figures for \(Self.describe(cell)) (opsPerSecondRepetitions): it was written before compare existed; run it again"
                )
            }
        }
        let newByKey = Dictionary(new.cells.map { (CellIdentity($0), $0) }, uniquingKeysWith: { first, _ in first })
        let baseKeys = Set(base.cells.map(CellIdentity.init))
        self.onlyInBase = base.cells.filter { newByKey[CellIdentity($0)] == nil }
        self.onlyInNew = new.cells.filter { !baseKeys.contains(CellIdentity($0)) }
        self.cells = base.cells.compactMap { baseCell -> Cell? in
            guard let newCell = newByKey[CellIdentity(baseCell)] else { return nil }
            return Self.compare(baseCell, newCell, threshold: threshold, confidence: confidence)
        }
        guard !self.cells.isEmpty else {
            throw ArgumentError(
                "\(baseName) and \(newName) have no cell in common (engine, workload, threads, keys and clock must match)"
            )
        }
    }

    static func compare(_ base: CellResult, _ new: CellResult, threshold: Double, confidence: Double) -> Cell {
        // Logarithms: a shift between logs is a ratio between rates. Rates are positive; a zero
        // (a cell that decided nothing) is kept finite so that it ranks lowest.
        let logs = { (rates: [Double]) in rates.map { log(max($0, .leastNormalMagnitude)) } }
        let test = RankSumTest(
            logs(base.opsPerSecondRepetitions ?? []), logs(new.opsPerSecondRepetitions ?? []), alpha: 1 - confidence)
        let ratio = exp(test.shift)
        let interval = test.interval.map { exp($0.lowerBound)...exp($0.upperBound) }
        let verdict: Verdict =
            switch interval {
            case nil: .tooFewRepetitions
            case let interval? where interval.lowerBound > 1: .faster
            case let interval? where interval.upperBound < 1: .slower
            default: .noSignificantDifference
            }
        return Cell(
            base: base, new: new, ratio: ratio, interval: interval, pValue: test.pValue, verdict: verdict,
            isRegression: verdict == .slower && ratio < 1 - threshold)
    }

    static func describe(_ cell: CellResult) -> String {
        "\(cell.engine) \(cell.workload) at \(cell.threads) threads"
    }
}

/// What makes two cells the same measurement: engine, workload, threads, keys and clock.
package struct CellIdentity: Hashable, Sendable {
    var engine: EngineName
    var workload: Workload
    var threads: Int
    var keys: Int
    var clock: ClockChoice

    package init(_ cell: CellResult) {
        self.engine = cell.engine
        self.workload = cell.workload
        self.threads = cell.threads
        self.keys = cell.keys
        self.clock = cell.clock
    }
}
