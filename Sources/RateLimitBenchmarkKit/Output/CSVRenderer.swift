/// The results as CSV: one row per cell, the JSON schema's fields as columns.
package enum CSVRenderer {
    package static let headers = [
        "engine", "workload", "threads", "keys", "clock", "opsPerSecond", "opsPerSecondMin", "opsPerSecondMax",
        "p50Nanoseconds", "p99Nanoseconds", "p999Nanoseconds", "maxNanoseconds", "allowed", "denied",
        "casRetriesPerOp", "evictions", "bytesPerKey", "nanosecondsPerOpPerThread", "ratioToFloor", "residentBytes",
        "residentDriftSecondHalf", "repetitions", "durationSeconds", "allocator", "stealFraction",
        "involuntaryContextSwitches", "cpuMigrations", "coefficientOfVariation", "noise", "attempts", "cpus",
        "p90Nanoseconds", "p9999Nanoseconds", "offeredOpsPerSecond", "ratioToKeyedFloor",
    ]

    package static func render(_ cells: [CellResult]) -> String {
        var lines = [self.headers.joined(separator: ",")]
        for cell in cells {
            let fields: [String] = [
                cell.engine.rawValue, cell.workload.rawValue, String(cell.threads), String(cell.keys),
                cell.clock.rawValue,
                decimal(cell.opsPerSecond, digits: 0), decimal(cell.opsPerSecondMin, digits: 0),
                decimal(cell.opsPerSecondMax, digits: 0),
                String(cell.p50Nanoseconds), String(cell.p99Nanoseconds), String(cell.p999Nanoseconds),
                String(cell.maxNanoseconds),
                String(cell.allowed), String(cell.denied),
                cell.casRetriesPerOp.map { decimal($0, digits: 6) } ?? "",
                cell.evictions.map(String.init) ?? "",
                cell.bytesPerKey.map { decimal($0, digits: 2) } ?? "",
                decimal(cell.nanosecondsPerOpPerThread, digits: 3),
                cell.ratioToFloor.map { decimal($0, digits: 4) } ?? "",
                String(cell.residentBytes),
                cell.residentDriftSecondHalf.map { decimal($0, digits: 4) } ?? "",
                String(cell.repetitions), decimal(cell.durationSeconds, digits: 3), cell.allocator,
                cell.stealFraction.map { decimal($0, digits: 4) } ?? "",
                cell.involuntaryContextSwitches.map(String.init) ?? "",
                cell.cpuMigrations.map(String.init) ?? "",
                cell.coefficientOfVariation.map { decimal($0, digits: 4) } ?? "",
                // Several reasons, and CPU lists, are joined with ';' to stay one field.
                (cell.noise ?? []).joined(separator: "; "),
                cell.attempts.map(String.init) ?? "",
                (cell.cpus ?? []).map(String.init).joined(separator: ";"),
                cell.p90Nanoseconds.map(String.init) ?? "", cell.p9999Nanoseconds.map(String.init) ?? "",
                cell.offeredOpsPerSecond.map { decimal($0, digits: 0) } ?? "",
                cell.ratioToKeyedFloor.map { decimal($0, digits: 4) } ?? "",
            ]
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
