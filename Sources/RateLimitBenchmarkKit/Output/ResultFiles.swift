import Foundation

/// Writes a run's files: `<directory>/<machine label>/<date>-<label>.json`, `.csv`, `.md`, one
/// `-<workload>.svg` chart per workload and, for open-loop cells, one
/// `-<workload>-<threads>t-latency.svg` per workload and thread count.
package enum ResultFiles {
    /// Writes every file and returns their paths.
    package static func write(_ report: BenchmarkReport, to directory: String, label: String) throws -> [String] {
        let folder = URL(fileURLWithPath: directory).appendingPathComponent(report.machine.label)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let stem = "\(report.date.prefix(10))-\(label)"
        var written: [String] = []
        func save(_ text: String, _ name: String) throws {
            let url = folder.appendingPathComponent(name)
            try self.writeAtomically(text, to: url)
            written.append(url.path)
        }
        try save(try self.json(report), "\(stem).json")
        try save(CSVRenderer.render(report.cells), "\(stem).csv")
        var charts: [Workload: String] = [:]
        for workload in Workload.allCases where report.cells.contains(where: { $0.workload == workload }) {
            let name = "\(stem)-\(workload.rawValue).svg"
            try save(SVGChart.render(workload: workload, cells: report.cells, machine: report.machine), name)
            charts[workload] = name
        }
        var latencyCharts: [LatencyChartKey: String] = [:]
        for key in LatencyChartKey.all(in: report.cells) {
            let name = "\(stem)-\(key.workload.rawValue)-\(key.threads)t-latency.svg"
            guard
                let chart = LatencyChart.render(
                    workload: key.workload, threads: key.threads, cells: report.cells, machine: report.machine)
            else { continue }
            try save(chart, name)
            latencyCharts[key] = name
        }
        try save(
            MarkdownRenderer.render(report, chartFiles: charts, latencyChartFiles: latencyCharts), "\(stem).md")
        return written
    }

    /// Writes `text` to a temporary file beside `url`, then renames it: a reader (or a run that
    /// fails half-way) never leaves a half-written file at `url`.
    package static func writeAtomically(_ text: String, to url: URL) throws {
        try Data(text.utf8).write(to: url, options: .atomic)
    }

    /// The report as pretty-printed JSON with sorted keys.
    package static func json(_ report: BenchmarkReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(report), as: UTF8.self) + "\n"
    }
}

/// A workload and thread count with open-loop cells: one latency chart each.
package struct LatencyChartKey: Hashable, Sendable {
    package var workload: Workload
    package var threads: Int

    /// Every workload and thread count with open-loop cells, in workload, then thread order.
    static func all(in cells: [CellResult]) -> [LatencyChartKey] {
        let open = cells.filter { $0.offeredOpsPerSecond != nil }
        return Workload.allCases.flatMap { workload in
            Set(open.filter { $0.workload == workload }.map(\.threads)).sorted().map {
                LatencyChartKey(workload: workload, threads: $0)
            }
        }
    }
}
