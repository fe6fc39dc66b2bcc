import Foundation

/// Draws ops/s against threads for one workload (closed-loop cells): one line per engine, the
/// floors dashed, on a logarithmic axis so that engines an order of magnitude apart stay readable.
/// Plain SVG, no dependencies; the frame is ``SVGFrame``'s.
package enum SVGChart {
    static let palette: [BenchmarkEngine: String] = [
        .mutex: "#1f77b4", .atomic: "#d62728", .sharded: "#2ca02c", .tutorial: "#9467bd", .floor: "#555555",
        .floorKeyed: "#999999", .floorProbed: "#bbbbbb",
    ]
    /// The reference rows' dash patterns: they are bounds, not contenders.
    static let dashes: [EngineName: String] = [
        EngineName(.floor): "6 4", EngineName(.floorKeyed): "2 3", EngineName(.floorProbed): "1 3",
    ]
    /// For engines measured outside the kit, in the order they appear (Redis is the first).
    static let otherColors = ["#ff7f0e", "#8c564b", "#e377c2", "#17becf"]

    package static func render(workload: Workload, cells: [CellResult], machine: MachineDescription) -> String {
        let cells = cells.filter { $0.workload == workload && $0.opsPerSecond > 0 && $0.offeredOpsPerSecond == nil }
        let threads = Set(cells.map(\.threads)).sorted()
        let engines = EngineName.ordered(cells.map(\.engine))
        let frame = SVGFrame(width: 720, height: 440, right: 150, top: 50, values: cells.map(\.opsPerSecond))
        func x(_ thread: Int) -> Double {
            guard threads.count > 1, let index = threads.firstIndex(of: thread) else {
                return frame.left + frame.plotWidth / 2
            }
            return frame.left + frame.plotWidth * Double(index) / Double(threads.count - 1)
        }
        var svg = frame.header(
            title: "\(workload.rawValue): operations per second vs threads",
            subtitle: "\(machine.cpu), \(machine.cores) cores, Swift \(machine.swift)")
        svg += frame.verticalAxisGrid(label: self.label)
        for thread in threads {
            svg += frame.horizontalAxisLabel("\(thread)", at: x(thread))
        }
        svg += frame.axisTitlesAndBorder(horizontal: "threads", vertical: "ops/s (log scale)")
        for (row, engine) in engines.enumerated() {
            let points = cells.filter { $0.engine == engine }.sorted { $0.threads < $1.threads }
            let color = self.color(of: engine, among: engines)
            let dash = self.dashes[engine].map { " stroke-dasharray=\"\($0)\"" } ?? ""
            let path = points.map { "\(f(x($0.threads))),\(f(frame.y($0.opsPerSecond)))" }.joined(separator: " ")
            svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(dash)/>\n"
            for point in points {
                svg +=
                    "<circle cx=\"\(f(x(point.threads)))\" cy=\"\(f(frame.y(point.opsPerSecond)))\" r=\"3\" fill=\"\(color)\"/>\n"
            }
            svg += frame.legendEntry(
                y: frame.top + 10 + Double(row) * 20, color: color, dash: dash, label: engine.rawValue)
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
