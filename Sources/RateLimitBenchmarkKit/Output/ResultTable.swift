/// Plain-text tables for the terminal.
package enum TextTable {
    /// Renders a table with one row of headers and right-aligned numeric columns.
    package static func render(headers: [String], rows: [[String]]) -> String {
        var widths = headers.map(\.count)
        for row in rows {
            for (column, cell) in row.enumerated() where column < widths.count {
                widths[column] = max(widths[column], cell.count)
            }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return column < 2 ? cell + padding : padding + cell
            }.joined(separator: "  ")
        }
        var output = line(headers) + "\n"
        output += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
        for row in rows {
            output += line(row) + "\n"
        }
        return output
    }

    /// The result table: one row per cell, grouped by workload.
    package static func render(_ cells: [CellResult]) -> String {
        let headers = ["workload", "engine", "threads", "Mops/s", "min–max", "×floor", "ns/op/thr", "p50", "p99", "p99.9", "max", "CAS/op", "evicted", "B/key"]
        let rows = cells.map { cell -> [String] in
            [
                cell.workload.rawValue,
                cell.engine.rawValue,
                String(cell.threads),
                millions(cell.opsPerSecond),
                "\(millions(cell.opsPerSecondMin))–\(millions(cell.opsPerSecondMax))",
                cell.ratioToFloor.map { decimal($0, digits: 2) } ?? "-",
                decimal(cell.nanosecondsPerOpPerThread, digits: 1),
                String(cell.p50Nanoseconds),
                String(cell.p99Nanoseconds),
                String(cell.p999Nanoseconds),
                String(cell.maxNanoseconds),
                cell.casRetriesPerOp.map { decimal($0, digits: 4) } ?? "-",
                cell.evictions.map(String.init) ?? "-",
                cell.bytesPerKey.map { decimal($0, digits: 1) } ?? "-",
            ]
        }
        return self.render(headers: headers, rows: rows)
    }
}
