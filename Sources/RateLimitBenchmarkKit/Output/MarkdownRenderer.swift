/// The human summary written next to the JSON: machine, command, one table per workload (ops/s
/// and ratio to the floor per thread count), its chart, and the recommendation.
package enum MarkdownRenderer {
    package static func render(
        _ report: BenchmarkReport, chartFiles: [Workload: String], latencyChartFiles: [LatencyChartKey: String] = [:]
    ) -> String {
        let machine = report.machine
        var text = "# Rate limiter benchmark — \(machine.label)\n\n"
        text += "- Date: \(report.date)\n"
        text +=
            "- Machine: \(machine.cpu), \(machine.cores) cores available (\(machine.logicalProcessors) online), \(machine.memoryGiB) GiB, \(machine.os), kernel \(machine.kernel), Swift \(machine.swift)\n"
        if let topology = machine.topology {
            text += "- CPUs: \(topology.summary)\n"
        }
        text += "- Command: `\(report.command)`\n"
        if let first = report.cells.first {
            text +=
                "- Per cell: \(first.repetitions) repetitions of \(decimal(first.durationSeconds, digits: 2)) s, median reported; clock `\(first.clock)`; allocator `\(first.allocator)`\n"
        }
        text += "\n"
        if let recommendation = report.recommendation {
            text += "## Recommendation\n\n**\(recommendation.summary)**\n\n"
            text += "| workload | ops/s | p99 | vs fastest | fastest |\n|---|---:|---:|---:|---|\n"
            for evidence in recommendation.evidence {
                text +=
                    "| \(evidence.workload) | \(millions(evidence.opsPerSecond)) M | \(evidence.p99Nanoseconds) ns | \(decimal(evidence.ratioToBest, digits: 2)) | \(evidence.best) |\n"
            }
            text += "\n"
        }
        let threads = Set(report.cells.filter { $0.offeredOpsPerSecond == nil }.map(\.threads)).sorted()
        for workload in Workload.allCases {
            let cells = report.cells.filter { $0.workload == workload && $0.offeredOpsPerSecond == nil }
            guard !cells.isEmpty else { continue }
            text += "## \(workload)\n\n"
            if let chart = chartFiles[workload] {
                text += "![\(workload)](\(chart))\n\n"
            }
            let keyed = cells.contains { $0.ratioToKeyedFloor != nil }
            text +=
                "Million decisions per second (ratio to `floor`\(keyed ? ", and to `floor-keyed`" : "")), p99 latency at \(threads.last ?? 1) threads, bytes per key:\n\n"
            text += "| engine | " + threads.map { "\($0) thr" }.joined(separator: " | ") + " | p99 | B/key |\n"
            text += "|---|" + threads.map { _ in "---:" }.joined(separator: "|") + "|---:|---:|\n"
            for engine in EngineName.ordered(cells.map(\.engine)) {
                let rows = cells.filter { $0.engine == engine }
                let columns = threads.map { thread -> String in
                    guard let cell = rows.first(where: { $0.threads == thread }) else { return "–" }
                    let ratios = [
                        cell.ratioToFloor.map { decimal($0, digits: 2) },
                        cell.ratioToKeyedFloor.map { "\(decimal($0, digits: 2)) keyed" },
                    ].compactMap { $0 }
                    let ratio = ratios.isEmpty ? "" : " (\(ratios.joined(separator: ", ")))"
                    let noisy = (cell.noise ?? []).isEmpty ? "" : " ⚠"
                    return millions(cell.opsPerSecond) + ratio + noisy
                }
                let last = rows.max { $0.threads < $1.threads }
                text += "| \(engine) | " + columns.joined(separator: " | ")
                text +=
                    " | \(last.map { "\($0.p99Nanoseconds) ns" } ?? "–") | \(last?.bytesPerKey.map { decimal($0, digits: 1) } ?? "–") |\n"
            }
            let noisy = cells.filter { !($0.noise ?? []).isEmpty }.map { cell in
                "\(cell.engine)@\(cell.threads): \((cell.noise ?? []).joined(separator: ", "))"
            }
            if !noisy.isEmpty {
                text += "\n⚠ Noisy cells (beyond the run's noise limits): " + noisy.joined(separator: "; ") + ".\n"
            }
            if workload == .churn {
                let drifts = cells.compactMap { cell in
                    cell.residentDriftSecondHalf.map {
                        "\(cell.engine)@\(cell.threads): \(decimal($0 * 100, digits: 1)) %"
                    }
                }
                if !drifts.isEmpty {
                    text +=
                        "\nResident memory spread over the second half of each churn cell: "
                        + drifts.joined(separator: ", ") + ".\n"
                }
            }
            text += "\n"
        }
        text += self.openLoop(report, latencyChartFiles: latencyChartFiles)
        return text
    }

    /// The open-loop cells: per workload and thread count, the rate offered and achieved and the
    /// latency percentiles from each decision's due time, with the chart.
    private static func openLoop(_ report: BenchmarkReport, latencyChartFiles: [LatencyChartKey: String]) -> String {
        let keys = LatencyChartKey.all(in: report.cells)
        guard !keys.isEmpty else { return "" }
        var text = "## Open-loop latency\n\n"
        text +=
            "Each thread issues its share of the offered rate on a fixed schedule; latency runs from when a decision was due to when it returned, so a stall counts against every decision it delayed (no coordinated omission). Every decision is timed.\n\n"
        for key in keys {
            let cells = report.cells.filter {
                $0.workload == key.workload && $0.threads == key.threads && $0.offeredOpsPerSecond != nil
            }
            text += "### \(key.workload), \(key.threads) thread\(key.threads == 1 ? "" : "s")\n\n"
            if let chart = latencyChartFiles[key] {
                text +=
                    "![\(key.workload) at \(key.threads) thread\(key.threads == 1 ? "" : "s"): latency by percentile](\(chart))\n\n"
            }
            text +=
                "| engine | offered M/s | achieved M/s | p50 | p90 | p99 | p99.9 | p99.99 | max |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
            for engine in EngineName.ordered(cells.map(\.engine)) {
                guard let cell = cells.first(where: { $0.engine == engine }) else { continue }
                let latencies = [
                    cell.p50Nanoseconds, cell.p90Nanoseconds ?? 0, cell.p99Nanoseconds, cell.p999Nanoseconds,
                    cell.p9999Nanoseconds ?? 0, cell.maxNanoseconds,
                ].map { "\($0) ns" }
                let noisy = (cell.noise ?? []).isEmpty ? "" : " ⚠ \((cell.noise ?? []).joined(separator: ", "))"
                text +=
                    "| \(engine)\(noisy) | \(millions(cell.offeredOpsPerSecond ?? 0)) | \(millions(cell.opsPerSecond)) | "
                    + latencies.joined(separator: " | ") + " |\n"
            }
            text += "\n"
        }
        return text
    }
}
