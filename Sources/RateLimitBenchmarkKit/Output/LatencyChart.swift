import Foundation

/// HdrHistogram's classic latency-by-percentile plot for the open-loop cells of one workload and
/// thread count: the percentile on a logarithmic axis of `1 / (1 − p)` (so 90 %, 99 %, 99.9 %…
/// are evenly spaced and the tail gets the room it deserves), latency on a logarithmic axis, one
/// line per engine, the maximum as the last point. Plain SVG, no dependencies.
package enum LatencyChart {
    /// The plot's decades of `1 / (1 − p)`: 0 % to 99.999 %, then the maximum.
    static let decades = 5.0
    /// Where the maximum sits on the percentile axis: a quarter decade past 99.999 %.
    static let maximumPosition = 5.25

    /// The chart, or `nil` when `cells` holds no open-loop cell of `workload` at `threads`.
    package static func render(
        workload: Workload, threads: Int, cells: [CellResult], machine: MachineDescription
    ) -> String? {
        let cells = cells.filter {
            $0.workload == workload && $0.threads == threads && !($0.latencyPercentiles ?? []).isEmpty
        }
        guard !cells.isEmpty else { return nil }
        let engines = EngineName.ordered(cells.map(\.engine))
        let frame = SVGFrame(
            width: 760, height: 460, right: 190, top: 56,
            values: cells.flatMap { ($0.latencyPercentiles ?? []).map { Double($0.nanoseconds) } })
        func x(_ percentile: Double) -> Double {
            let position = percentile >= 100 ? self.maximumPosition : log10(1 / (1 - percentile / 100))
            return frame.left + frame.plotWidth * position / self.maximumPosition
        }
        let f = SVGChart.f
        var svg = frame.header(
            title:
                "\(workload.rawValue), \(threads) thread\(threads == 1 ? "" : "s"), open loop: latency by percentile",
            subtitle:
                "from each decision's due time; \(machine.cpu), \(machine.cores) cores, Swift \(machine.swift)")
        svg += frame.verticalAxisGrid(label: self.duration)
        let ticks: [(Double, String)] = [
            (0, "0%"), (90, "90%"), (99, "99%"), (99.9, "99.9%"), (99.99, "99.99%"), (99.999, "99.999%"),
            (100, "max"),
        ]
        for (percentile, label) in ticks {
            svg +=
                "<line x1=\"\(f(x(percentile)))\" y1=\"\(f(frame.top))\" x2=\"\(f(x(percentile)))\" y2=\"\(f(frame.top + frame.plotHeight))\" stroke=\"#eee\"/>\n"
            svg += frame.horizontalAxisLabel(label, at: x(percentile))
        }
        svg += frame.axisTitlesAndBorder(horizontal: "percentile", vertical: "latency (log scale)")
        for (row, engine) in engines.enumerated() {
            guard let cell = cells.first(where: { $0.engine == engine }) else { continue }
            let points = cell.latencyPercentiles ?? []
            let color = SVGChart.color(of: engine, among: engines)
            let path = points.map { "\(f(x($0.percentile))),\(f(frame.y(Double($0.nanoseconds))))" }
                .joined(separator: " ")
            svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
            let legendY = frame.top + 10 + Double(row) * 34
            svg += frame.legendEntry(y: legendY, color: color, dash: "", label: engine.rawValue)
            let offered = cell.offeredOpsPerSecond.map { "\(millions($0)) M/s offered" } ?? ""
            svg +=
                "<text x=\"\(f(frame.legendX + 31))\" y=\"\(f(legendY + 18))\" fill=\"#555\" font-size=\"11\">\(offered)</text>\n"
        }
        svg += "</svg>\n"
        return svg
    }

    /// `100 ns`, `1 µs`, `10 ms`, `1 s`.
    static func duration(_ nanoseconds: Double) -> String {
        switch nanoseconds {
        case 1e9...: "\(Int(nanoseconds / 1e9)) s"
        case 1e6...: "\(Int(nanoseconds / 1e6)) ms"
        case 1e3...: "\(Int(nanoseconds / 1e3)) µs"
        default: "\(Int(nanoseconds)) ns"
        }
    }
}
