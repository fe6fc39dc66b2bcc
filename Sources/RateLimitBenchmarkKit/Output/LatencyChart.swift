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
        let width = 760.0
        let height = 460.0
        let left = 80.0
        let right = 190.0
        let top = 56.0
        let bottom = 60.0
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        let values = cells.flatMap { ($0.latencyPercentiles ?? []).map { Double(max($0.nanoseconds, 1)) } }
        let low = floorPowerOfTen(values.min() ?? 1)
        let high = ceilPowerOfTen(values.max() ?? 10)
        func x(_ percentile: Double) -> Double {
            let position = percentile >= 100 ? self.maximumPosition : log10(1 / (1 - percentile / 100))
            return left + plotWidth * position / self.maximumPosition
        }
        func y(_ nanoseconds: UInt64) -> Double {
            let span = max(log10(high) - log10(low), 1e-9)
            return top + plotHeight * (1 - (log10(Double(max(nanoseconds, 1))) - log10(low)) / span)
        }
        let f = SVGChart.f
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(left)" y="22" font-size="15" font-weight="bold">\(SVGChart.escape(workload.rawValue)), \(threads) thread\(threads == 1 ? "" : "s"), open loop: latency by percentile</text>
            <text x="\(left)" y="40" fill="#555">from each decision's due time; \(SVGChart.escape(machine.cpu)), \(machine.cores) cores, Swift \(SVGChart.escape(machine.swift))</text>

            """
        var decade = low
        while decade <= high * 1.0001 {
            let position = y(UInt64(decade))
            svg +=
                "<line x1=\"\(f(left))\" y1=\"\(f(position))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(position))\" stroke=\"#ddd\"/>\n"
            svg +=
                "<text x=\"\(f(left - 8))\" y=\"\(f(position + 4))\" text-anchor=\"end\">\(self.duration(decade))</text>\n"
            decade *= 10
        }
        let ticks: [(Double, String)] =
            [
                (0, "0%"), (90, "90%"), (99, "99%"), (99.9, "99.9%"), (99.99, "99.99%"), (99.999, "99.999%"),
                (100, "max"),
            ]
        for (percentile, label) in ticks {
            svg +=
                "<line x1=\"\(f(x(percentile)))\" y1=\"\(f(top))\" x2=\"\(f(x(percentile)))\" y2=\"\(f(top + plotHeight))\" stroke=\"#eee\"/>\n"
            svg +=
                "<text x=\"\(f(x(percentile)))\" y=\"\(f(top + plotHeight + 20))\" text-anchor=\"middle\">\(label)</text>\n"
        }
        svg +=
            "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - 15))\" text-anchor=\"middle\">percentile</text>\n"
        svg +=
            "<text transform=\"translate(18 \(f(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">latency (log scale)</text>\n"
        svg +=
            "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" fill=\"none\" stroke=\"#999\"/>\n"
        for (row, engine) in engines.enumerated() {
            guard let cell = cells.first(where: { $0.engine == engine }) else { continue }
            let points = cell.latencyPercentiles ?? []
            let color = SVGChart.color(of: engine, among: engines)
            let path = points.map { "\(f(x($0.percentile))),\(f(y($0.nanoseconds)))" }.joined(separator: " ")
            svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
            let legendY = top + 10 + Double(row) * 34
            svg +=
                "<line x1=\"\(f(left + plotWidth + 15))\" y1=\"\(f(legendY))\" x2=\"\(f(left + plotWidth + 40))\" y2=\"\(f(legendY))\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
            svg += "<text x=\"\(f(left + plotWidth + 46))\" y=\"\(f(legendY + 4))\">\(engine.rawValue)</text>\n"
            let offered = cell.offeredOpsPerSecond.map { "\(millions($0)) M/s offered" } ?? ""
            svg +=
                "<text x=\"\(f(left + plotWidth + 46))\" y=\"\(f(legendY + 18))\" fill=\"#555\" font-size=\"11\">\(offered)</text>\n"
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
