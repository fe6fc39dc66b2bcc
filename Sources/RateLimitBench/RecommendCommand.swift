import ArgumentParser
import Foundation
import RateLimit
import RateLimitBenchmarkKit

/// Measures only what matters for the traffic described, and names the engine to run.
struct RecommendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recommend",
        abstract:
            "Runs the cells that matter for your traffic and prints the engine to choose, with evidence and the runner-up."
    )

    enum Distribution: String, ExpressibleByArgument, CaseIterable {
        case uniform, zipf, hot
    }

    @Option(
        parsing: .unconditional, help: "Threads deciding at once, in 1...1024 (default: this machine's cores).",
        transform: parsing { text throws(ArgumentError) in
            try ArgumentParsing.integer(text, name: "threads", in: 1...1024)
        })
    var threads: Int = RateLimiterDefaults.activeProcessorCount

    @Option(
        parsing: .unconditional, help: "Distinct clients, in 1...10000000.",
        transform: parsing { text throws(ArgumentError) in
            try ArgumentParsing.integer(text, name: "keys", in: 1...10_000_000)
        })
    var keys: Int = 100_000

    @Option(help: "How requests spread over clients: uniform, zipf or hot (one client).")
    var distribution: Distribution = .zipf

    @Option(
        parsing: .unconditional, help: "Share of requests that are denied, in 0...1.",
        transform: parsing { text throws(ArgumentError) in try ArgumentParsing.fraction(text, name: "deny-ratio") })
    var denyRatio: Double = 0.05

    @Option(help: "Run time of each repetition (1ms...1h).", transform: parsing(ArgumentParsing.duration))
    var duration: Duration = .milliseconds(500)

    @Option(
        parsing: .unconditional, help: "Repetitions per engine, in 1...100.",
        transform: parsing { text throws(ArgumentError) in
            try ArgumentParsing.integer(text, name: "repetitions", in: 1...100)
        })
    var repetitions: Int = 3

    @Option(
        help:
            "Also write the verdict, the cells and this machine's description to this JSON file (to bring back from a machine without a toolchain)."
    )
    var output: String?

    @OptionGroup var noise: NoiseOptions

    @OptionGroup var traceOptions: TraceOptions

    func validate() throws {
        if let output = self.output {
            try validateOutputFile(output)
        }
        if self.traceOptions.traceTiming == .recorded {
            throw ValidationError(
                "recommend --trace replays closed loop (throughput decides); use run --trace --trace-timing recorded for latency at the recorded rate"
            )
        }
    }

    func run() throws {
        let machine = MachineDescription.current()
        let date = ISO8601DateFormatter().string(from: Date())
        let pinning = try self.noise.pinning(threads: [self.threads], machine: machine)
        let replay = try self.traceOptions.load()
        // A hot distribution is two keys: one never dry and, with a deny share, one always empty.
        let workload: Workload = replay != nil ? .trace : self.distribution == .zipf ? .zipfAllow : .uniformAllow
        let keys = replay?.trace.keys.count ?? (self.distribution == .hot ? 2 : self.keys)
        let engines = RateLimitEngine.allCases.map(BenchmarkEngine.engine)
        var plan = BenchmarkPlan(
            engines: engines,
            workloads: [workload],
            threads: [self.threads],
            repetitions: self.repetitions,
            settings: CellSettings(
                keys: keys, clock: .precise, duration: self.duration, denyRatio: self.denyRatio, pinningOrder: pinning,
                trace: replay)
        )
        self.noise.apply(to: &plan)
        if let replay {
            progress("recommend: the trace \(replay.trace.source) (\(replay.trace.summary)), \(self.threads) threads")
        } else {
            progress(
                "recommend: \(self.distribution) over \(keys) keys, \(self.threads) threads, deny ratio \(self.denyRatio)"
            )
        }
        var bytesPerKey: [BenchmarkEngine: Double] = [:]
        for engine in engines {
            bytesPerKey[engine] = MemoryProbe.measureInChild(engine: engine, keys: max(keys, 10_000))
        }
        let cells = BenchmarkRunner.run(plan, bytesPerKey: bytesPerKey, progress: display.report)
        display.finish()
        let ranked = cells.sorted { $0.opsPerSecond > $1.opsPerSecond }
        // The run command's rule, on this one workload: the fastest, unless another engine within
        // 3 % of it needs fewer bytes per key.
        guard let recommendation = Recommendation.make(from: cells, threads: self.threads),
            let best = cells.first(where: { $0.engine == recommendation.engine })
        else { throw ExitCode(1) }
        func evidence(_ cell: CellResult) -> String {
            let bytes = cell.bytesPerKey.map { ", \(decimal($0, digits: 1)) B/key" } ?? ""
            let denied = cell.allowed + cell.denied > 0 ? Double(cell.denied) / Double(cell.allowed + cell.denied) : 0
            return
                "\(decimal(cell.opsPerSecond / 1e6, digits: 2)) M ops/s (\(decimal(cell.opsPerSecondMin / 1e6, digits: 2))–\(decimal(cell.opsPerSecondMax / 1e6, digits: 2))), p50 \(cell.p50Nanoseconds) ns, p99 \(cell.p99Nanoseconds) ns\(bytes), \(decimal(denied * 100, digits: 1)) % denied"
        }
        for cell in ranked {
            let flags = cell.noise ?? []
            print(
                "\(cell.engine): \(evidence(cell))\(flags.isEmpty ? "" : " [noisy: \(flags.joined(separator: ", "))]")")
        }
        print("\nChoose \(best.engine): \(evidence(best)).")
        if let runnerUp = ranked.first(where: { $0.engine != best.engine }) {
            print(
                "Runner-up: \(runnerUp.engine), \(decimal(runnerUp.opsPerSecond / best.opsPerSecond * 100, digits: 0)) % of its throughput."
            )
        }
        if let output = self.output {
            let report = BenchmarkReport(
                machine: machine,
                date: date,
                command: (["ratelimit-bench"] + CommandLine.arguments.dropFirst()).joined(separator: " "),
                cells: cells,
                recommendation: recommendation
            )
            try ResultFiles.writeAtomically(try ResultFiles.json(report), to: URL(fileURLWithPath: output))
            progress("wrote \(output): the verdict, \(cells.count) cells and \(machine.label)'s description")
        }
    }
}
