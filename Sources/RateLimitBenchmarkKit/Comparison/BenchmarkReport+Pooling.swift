extension BenchmarkReport {
    /// Several runs of one sweep as one, for `compare`: cells matched by ``CellIdentity``, their
    /// repetitions concatenated in run order, and the figures derived from them recomputed
    /// (`CellResult.setRepetitions`). A cell that any run holds without per-repetition figures has none in the pool (and
    /// `compare` refuses it). The other figures, machine, date and command are the first run's.
    ///
    /// Runs alternated between two builds sample the host's drift on both sides: repetitions of
    /// one run share its moment, so a single run per side mistakes that drift for a difference.
    ///
    /// - Throws: ``ArgumentError`` when the runs come from different machines.
    package static func pooling(_ reports: [BenchmarkReport]) throws(ArgumentError) -> BenchmarkReport {
        precondition(!reports.isEmpty, "nothing to pool")
        var pooled = reports[0]
        guard reports.count > 1 else { return pooled }
        for report in reports.dropFirst() where report.machine.label != pooled.machine.label {
            throw ArgumentError(
                "cannot pool runs of \(pooled.machine.label) and \(report.machine.label): pool runs of one machine")
        }
        var position: [CellIdentity: Int] = [:]
        pooled.cells = []
        for report in reports {
            for cell in report.cells {
                guard let index = position[CellIdentity(cell)] else {
                    position[CellIdentity(cell)] = pooled.cells.count
                    pooled.cells.append(cell)
                    continue
                }
                let earlier = pooled.cells[index].opsPerSecondRepetitions
                pooled.cells[index].opsPerSecondRepetitions = earlier.flatMap { earlier in
                    cell.opsPerSecondRepetitions.map { earlier + $0 }
                }
            }
        }
        for index in pooled.cells.indices {
            if let rates = pooled.cells[index].opsPerSecondRepetitions {
                pooled.cells[index].setRepetitions(rates)
            }
        }
        return pooled
    }
}
