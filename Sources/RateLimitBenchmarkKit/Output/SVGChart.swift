import Foundation

/// Draws ops/s against threads for one workload (closed-loop cells): one line per engine, the floor dashed, on a
/// logarithmic axis so that engines an order of magnitude apart stay readable. Plain SVG, no
/// dependencies.
package enum SVGChart {
    static let palette: [BenchmarkEngine: String] = [
        .mutex: "#1f77b4", .atomic: "#d62728", .sharded: "#2ca02c", .tutorial: "#9467bd", .floor: "#555555",
    ]
    /// For engines measured outside the kit, in the order they appear (Redis is the first).
    static let otherColors = ["#ff7f0e", "#8c564b", "#e377c2", "#17becf"]

    package static func render(workload: Workload, cells: [CellResult], machine: MachineDescription) -> String {
        let cells = cells.filter { $0.workload == workload && $0.opsPerSecond > 0 && $0.offeredOpsPerSecond == nil }
        let threads = Set(cells.map(\.threads)).sorted()
        let engines = EngineName.ordered(cells.map(\.engine))
        let width = 720.0
        let height = 440.0
        let left = 80.0
        let right = 150.0
        let top = 50.0
        let bottom = 60.0
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        let values = cells.map(\.opsPerSecond)
        let low = floorPowerOfTen(values.min() ?? 1)
        let high = ceilPowerOfTen(values.max() ?? 10)
        func x(_ thread: Int) -> Double {
            guard threads.count > 1, let index = threads.firstIndex(of: thread) else { return left + plotWidth / 2 }
            return left + plotWidth * Double(index) / Double(threads.count - 1)
        }
        func y(_ value: Double) -> Double {
            let span = log10(high) - log10(low)
            return top + plotHeight * (1 - (log10(value) - log10(low)) / max(span, 1e-9))
        }
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(left)" y="22" font-size="15" font-weight="bold">\(escape(workload.rawValue)): operations per second vs threads</text>
            <text x="\(left)" y="38" fill="#555">\(escape(machine.cpu)), \(machine.cores) cores, Swift \(escape(machine.swift))</text>

            """
        var decade = low
        while decade <= high * 1.0001 {
            let position = y(decade)
            svg +=
                "<line x1=\"\(f(left))\" y1=\"\(f(position))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(position))\" stroke=\"#ddd\"/>\n"
            svg +=
                "<text x=\"\(f(left - 8))\" y=\"\(f(position + 4))\" text-anchor=\"end\">\(escape(label(decade)))</text>\n"
            decade *= 10
        }
        for thread in threads {
            svg +=
                "<text x=\"\(f(x(thread)))\" y=\"\(f(top + plotHeight + 20))\" text-anchor=\"middle\">\(thread)</text>\n"
        }
        svg += "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - 15))\" text-anchor=\"middle\">threads</text>\n"
        svg +=
            "<text transform=\"translate(18 \(f(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">ops/s (log scale)</text>\n"
        svg +=
            "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" fill=\"none\" stroke=\"#999\"/>\n"
        for (row, engine) in engines.enumerated() {
            let points = cells.filter { $0.engine == engine }.sorted { $0.threads < $1.threads }
            let color = self.color(of: engine, among: engines)
            let dash = engine == EngineName(.floor) ? " stroke-dasharray=\"6 4\"" : ""
            let path = points.map { "\(f(x($0.threads))),\(f(y($0.opsPerSecond)))" }.joined(separator: " ")
            svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(dash)/>\n"
            for point in points {
                svg +=
                    "<circle cx=\"\(f(x(point.threads)))\" cy=\"\(f(y(point.opsPerSecond)))\" r=\"3\" fill=\"\(color)\"/>\n"
            }
            let legendY = top + 10 + Double(row) * 20
            svg +=
                "<line x1=\"\(f(left + plotWidth + 15))\" y1=\"\(f(legendY))\" x2=\"\(f(left + plotWidth + 40))\" y2=\"\(f(legendY))\" stroke=\"\(color)\" stroke-width=\"2\"\(dash)/>\n"
            svg += "<text x=\"\(f(left + plotWidth + 46))\" y=\"\(f(legendY + 4))\">\(engine.rawValue)</text>\n"
        }
        svg += "</svg>\n"
        return svg
    }

    static func color(of engine: EngineName, among engines: [EngineName]) -> String {
        if let known = engine.benchmarkEngine {
            return self.palette[known] ?? "#000"
        }
        let others = engines.filter { $0.benchmarkEngine == nil }
        let index = others.firstIndex(of: engine) ?? 0
        return index < self.otherColors.count ? self.otherColors[index] : "#000"
    }

    static func f(_ value: Double) -> String {
        decimal(value, digits: 1)
    }

    private static func label(_ value: Double) -> String {
        switch value {
        case 1e9...: "\(Int(value / 1e9))G"
        case 1e6...: "\(Int(value / 1e6))M"
        case 1e3...: "\(Int(value / 1e3))k"
        default: "\(Int(value))"
        }
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}

func floorPowerOfTen(_ value: Double) -> Double {
    pow(10, (log10(max(value, 1))).rounded(.down))
}

func ceilPowerOfTen(_ value: Double) -> Double {
    pow(10, (log10(max(value, 10))).rounded(.up))
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
