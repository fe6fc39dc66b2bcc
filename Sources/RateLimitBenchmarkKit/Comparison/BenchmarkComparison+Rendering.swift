import TextTable

extension BenchmarkComparison {
    /// The terminal table: one row per cell in the baseline's order, then the verdict lines.
    package func table() -> String {
        let table = TextTable<Cell> { cell in
            [
                Column(title: "workload", value: cell.base.workload.rawValue),
                Column(title: "engine", value: cell.base.engine.rawValue),
                Column(title: "threads", value: String(cell.base.threads), align: .right),
                Column(title: "base Mops/s", value: millions(cell.base.opsPerSecond), align: .right),
                Column(title: "new Mops/s", value: millions(cell.new.opsPerSecond), align: .right),
                Column(title: "new/base", value: decimal(cell.ratio, digits: 3), align: .right),
                Column(title: "\(self.confidenceText) interval", value: Self.interval(cell), align: .right),
                Column(title: "p", value: decimal(cell.pValue, digits: 3), align: .right),
                Column(title: "n", value: Self.counts(cell), align: .right),
                Column(title: "verdict", value: Self.verdict(cell)),
            ]
        }
        return (table.string(for: self.cells) ?? "") + self.footer()
    }

    /// The same as a Markdown table, for a pull request or `results/`.
    package func markdown() -> String {
        var text =
            "| workload | engine | threads | base Mops/s | new Mops/s | new/base | \(self.confidenceText) interval | p | n | verdict |\n"
        text += "|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n"
        for cell in self.cells {
            let figures = [
                cell.base.workload.rawValue, cell.base.engine.rawValue, String(cell.base.threads),
                millions(cell.base.opsPerSecond), millions(cell.new.opsPerSecond), decimal(cell.ratio, digits: 3),
                Self.interval(cell), decimal(cell.pValue, digits: 3), Self.counts(cell), Self.verdict(cell),
            ]
            text += "| " + figures.joined(separator: " | ") + " |\n"
        }
        return text + self.footer()
    }

    private var confidenceText: String { "\(decimal(self.confidence * 100, digits: 1)) %" }

    private static func interval(_ cell: Cell) -> String {
        cell.interval.map { "\(decimal($0.lowerBound, digits: 3))–\(decimal($0.upperBound, digits: 3))" } ?? "–"
    }

    private static func counts(_ cell: Cell) -> String {
        "\(cell.base.opsPerSecondRepetitions?.count ?? 0)+\(cell.new.opsPerSecondRepetitions?.count ?? 0)"
    }

    private static func verdict(_ cell: Cell) -> String {
        switch cell.verdict {
        case .faster: "faster"
        case .slower: cell.isRegression ? "SLOWER (regression)" : "slower"
        case .noSignificantDifference: "~ (no significant difference)"
        case .tooFewRepetitions: "too few repetitions"
        }
    }

    private func footer() -> String {
        var lines = [""]
        lines.append(
            "Method: Mann–Whitney U test on log ops/s per repetition; new/base is the Hodges–Lehmann estimate, the interval its \(self.confidenceText) confidence interval (distribution-free). A verdict needs at least 4 repetitions per run at 95 %."
        )
        for cell in self.onlyInBase { lines.append("Only in the baseline: \(Self.describe(cell)).") }
        for cell in self.onlyInNew { lines.append("Only in the new run: \(Self.describe(cell)).") }
        let regressions = self.regressions
        lines.append(
            regressions.isEmpty
                ? "No cell is significantly slower by more than \(decimal(self.threshold * 100, digits: 1)) %."
                : "\(regressions.count) of \(self.cells.count) cells are significantly slower by more than \(decimal(self.threshold * 100, digits: 1)) %."
        )
        return lines.joined(separator: "\n") + "\n"
    }
}
