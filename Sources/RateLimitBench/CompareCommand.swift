import ArgumentParser
import Foundation
import RateLimitBenchmarkKit

/// Says, cell by cell, whether one run is faster or slower than another, or not distinguishable.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compares two result files of `run`: per cell, the ratio, its confidence interval and a verdict.",
        discussion: """
            Exits 1 when a cell is significantly slower by more than --threshold, 64 when a file \
            cannot be read or compared. Both runs need per-repetition figures: 4 or more repetitions \
            each for a verdict at 95 %.
            """
    )

    @Argument(
        help: """
            The baseline: a JSON file written by `ratelimit-bench run`, or several separated by commas, \
            whose repetitions are pooled (runs alternated with NEW's sample the host's drift on both sides).
            """)
    var base: String

    @Argument(help: "The run (or comma-separated runs) to judge against it.")
    var new: String

    @Option(
        help: "A significant slowdown beyond this fails (exit 1): a percentage in 0%...99%.",
        transform: parsing { text throws(ArgumentError) in
            try ArgumentParsing.percentage(text, name: "threshold", in: 0...0.99)
        })
    var threshold: Double = 0.05

    @Option(
        help: "Confidence level of the intervals, in 50%...99.9%.",
        transform: parsing { text throws(ArgumentError) in
            try ArgumentParsing.percentage(text, name: "confidence", in: 0.5...0.999)
        })
    var confidence: Double = 0.95

    @Flag(help: "Print a Markdown table instead of the terminal table.")
    var markdown = false

    func run() throws {
        let base = try Self.pooled(self.base, as: "BASE")
        let new = try Self.pooled(self.new, as: "NEW")
        let comparison: BenchmarkComparison
        do throws(ArgumentError) {
            comparison = try BenchmarkComparison(
                base: base, new: new, threshold: self.threshold, confidence: self.confidence,
                baseName: "BASE '\(self.base)'", newName: "NEW '\(self.new)'")
        } catch {
            throw ValidationError(error.description)
        }
        if base.machine.label != new.machine.label {
            print(
                "Note: BASE ran on \(base.machine.label), NEW on \(new.machine.label): the ratios compare machines as well as code.\n"
            )
        }
        print(self.markdown ? comparison.markdown() : comparison.table(), terminator: "")
        if !comparison.regressions.isEmpty { throw ExitCode(1) }
    }

    /// The runs in `paths` (comma-separated) as one: each cell's repetitions pooled.
    private static func pooled(_ paths: String, as role: String) throws -> BenchmarkReport {
        let reports = try paths.split(separator: ",").map { try Self.read(String($0), as: role) }
        guard !reports.isEmpty else {
            throw ValidationError("invalid \(role) '\(paths)': must be one or more JSON files, separated by commas")
        }
        do throws(ArgumentError) {
            return try BenchmarkReport.pooling(reports)
        } catch {
            throw ValidationError("\(role) '\(paths)': \(error.description)")
        }
    }

    private static func read(_ path: String, as role: String) throws -> BenchmarkReport {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ValidationError("cannot read \(role) '\(path)': \(error.localizedDescription)")
        }
        do {
            return try JSONDecoder().decode(BenchmarkReport.self, from: data)
        } catch {
            throw ValidationError(
                "\(role) '\(path)' is not a result file of `ratelimit-bench run`: \(Self.summary(error))")
        }
    }

    /// The decoding error in one line: what was wrong and where.
    private static func summary(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return path.isEmpty ? "" : " at \(path)"
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing '\(key.stringValue)'\(path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(context.debugDescription)\(path(context))"
        @unknown default: return "\(error)"
        }
    }
}
