import TextTable

/// The result table for the terminal: one row per cell, names left-aligned, figures right-aligned,
/// in ordo-one's TextTable simple style (a header, a dashed rule, columns one space apart). The
/// last column says why a cell is noisy (see ``NoiseLimits``).
package enum ResultTable {
    /// The table of `cells`, in their order; empty when there are none.
    package static func render(_ cells: [CellResult]) -> String {
        let table = TextTable<CellResult> { cell in
            [
                Column(title: "workload", value: cell.workload.rawValue),
                Column(title: "engine", value: cell.engine.rawValue),
                self.figure("threads", String(cell.threads)),
                self.figure("Mops/s", millions(cell.opsPerSecond)),
                self.figure("min–max", "\(millions(cell.opsPerSecondMin))–\(millions(cell.opsPerSecondMax))"),
                self.figure("×floor", cell.ratioToFloor.map { decimal($0, digits: 2) } ?? "-"),
                self.figure("×keyed", cell.ratioToKeyedFloor.map { decimal($0, digits: 2) } ?? "-"),
                self.figure("ns/op/thr", decimal(cell.nanosecondsPerOpPerThread, digits: 1)),
                self.figure("p50", String(cell.p50Nanoseconds)),
                self.figure("p99", String(cell.p99Nanoseconds)),
                self.figure("p99.9", String(cell.p999Nanoseconds)),
                self.figure("max", String(cell.maxNanoseconds)),
                self.figure("CAS/op", cell.casRetriesPerOp.map { decimal($0, digits: 4) } ?? "-"),
                self.figure("evicted", cell.evictions.map(String.init) ?? "-"),
                self.figure("B/key", cell.bytesPerKey.map { decimal($0, digits: 1) } ?? "-"),
                self.figure("offered", cell.offeredOpsPerSecond.map(millions) ?? "-"),
                self.figure("CV", cell.coefficientOfVariation.map(percent) ?? "-"),
                self.figure("steal", cell.stealFraction.map(percent) ?? "-"),
                Column(title: "noise", value: (cell.noise ?? []).joined(separator: ", ")),
            ]
        }
        return table.string(for: cells) ?? ""
    }

    private static func figure(_ title: String, _ value: String) -> Column {
        Column(title: title, value: value, align: .right)
    }
}
