import ArgumentParser
import Foundation
import RateLimit
import RateLimitBenchmarkKit

/// The sweep: engines × workloads × threads, a table, result files and a recommendation.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Sweeps engines × workloads × thread counts and recommends an engine (the default command)."
    )

    @Option(
        help: """
            Engines to measure: mutex, atomic, sharded, floor, floor-keyed, tutorial, and redis (needs --redis); \
            floor-probed (a diagnostic row) only when named.
            """,
        transform: parsing(EngineSelection.parseList)
    )
    var engines: [EngineSelection] = BenchmarkEngine.localEngines.map(EngineSelection.local)

    @Option(
        help:
            "The Redis server for the redis engine, such as redis://127.0.0.1:6379; its cells run uniform-allow with --threads concurrent callers."
    )
    var redis: String?

    @Option(
        parsing: .unconditional, help: "Connections in the redis engine's pool, in 1...64.",
        transform: parsing { text throws(ArgumentError) in
            try ArgumentParsing.integer(text, name: "redis-pool", in: 1...64)
        })
    var redisPool: Int = 2

    @Option(
        help: "Workloads: hot-allow, hot-deny, uniform-allow, zipf-allow, churn, uniform-ip.",
        transform: parsing(Workload.parseList))
    var workloads: [Workload] = Workload.standard

    @Option(
        parsing: .unconditional, help: "Thread counts, comma-separated, each in 1...1024.",
        transform: parsing(ArgumentParsing.threadCounts))
    var threads: [Int] = [1, 2, 4, 8]

    @Option(
        parsing: .unconditional, help: "Distinct keys for the keyed workloads, in 1...10000000.",
        transform: parsing { text throws(ArgumentError) in
            try ArgumentParsing.integer(text, name: "keys", in: 1...10_000_000)
        })
    var keys: Int = 100_000

    @Option(
        help: "Run time of each repetition, such as 250ms or 2s (1ms...1h).",
        transform: parsing(ArgumentParsing.duration))
    var duration: Duration = .milliseconds(250)

    @Option(
        parsing: .unconditional, help: "Repetitions per cell, in 1...100; the median is reported.",
        transform: parsing { text throws(ArgumentError) in
            try ArgumentParsing.integer(text, name: "repetitions", in: 1...100)
        })
    var repetitions: Int = 3

    @Option(help: "The engines' clock: precise or coarse.", transform: parsing(ClockChoice.parse))
    var clock: ClockChoice = .precise

    @Option(help: "Standard output format: table, json or csv.")
    var format: OutputFormat = .table

    @Option(help: "Directory for result files; an empty string writes none.")
    var output: String = "results"

    @Option(help: "Label in result file names.")
    var label: String = "run"

    @Option(help: "Allocator: system, or jemalloc (re-runs this command with libjemalloc.so.2 preloaded).")
    var allocator: AllocatorChoice = .system

    @Flag(help: "Skip the per-engine memory measurement (bytes per key).")
    var skipMemory = false

    @Option(
        help:
            "Open loop: offer this many decisions per second in total (such as 2e6; the floor is left out), or a share of each engine's maximum (such as 50%: closed-loop cells, each engine's maximum with every decision timed, then open-loop cells).",
        transform: parsing(OfferedRate.parse))
    var rate: OfferedRate?

    @OptionGroup var noise: NoiseOptions

    @OptionGroup var traceOptions: TraceOptions

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case table, json, csv
    }

    func validate() throws {
        if self.engines.contains(.redis) && self.redis == nil {
            throw ValidationError("--engines redis needs --redis URL, such as redis://127.0.0.1:6379")
        }
        guard !self.label.isEmpty, self.label.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        else {
            throw ValidationError(
                ArgumentError.invalid("label", self.label, mustBe: "letters, digits, '-' or '_'").description)
        }
    }

    func run() async throws {
        let machine = MachineDescription.current()
        let pinning = try self.noise.pinning(threads: self.threads, machine: machine)
        let replay = try self.traceOptions.load(openLoopRate: self.rate != nil)
        try self.allocator.activate()
        var plan = BenchmarkPlan(
            engines: self.engines.compactMap(\.local),
            // A trace replaces the synthetic workloads.
            workloads: replay == nil ? self.workloads : [.trace],
            threads: self.threads,
            repetitions: self.repetitions,
            settings: CellSettings(
                keys: replay?.trace.keys.count ?? self.keys,
                clock: self.clock,
                duration: self.duration,
                allocator: self.allocator.rawValue,
                pinningOrder: pinning,
                trace: replay
            )
        )
        self.noise.apply(to: &plan)
        if let replay, replay.timing == .recorded, self.duration.saturatingNanoseconds < replay.trace.spanNanoseconds {
            let seconds = decimal(Double(replay.trace.spanNanoseconds) / 1e9, digits: 2)
            progress(
                "note: each repetition replays the first \(self.duration) of the trace's \(seconds) s; --duration \(seconds)s replays all of it"
            )
        }
        plan.offeredRate = self.rate
        let date = ISO8601DateFormatter().string(from: Date())
        progress(
            "ratelimit-bench: \(plan.repetitionCount) repetitions of \(self.duration) on \(machine.cpu) (\(machine.cores) cores)"
        )
        var bytesPerKey: [BenchmarkEngine: Double] = [:]
        if !self.skipMemory {
            for engine in plan.engines where engine != .floor {
                if let bytes = MemoryProbe.measureInChild(engine: engine, keys: self.keys) {
                    bytesPerKey[engine] = bytes
                    progress("memory: \(engine) \(decimal(bytes, digits: 1)) bytes per key at \(self.keys) keys")
                }
            }
        }
        var cells =
            plan.engines.isEmpty ? [] : BenchmarkRunner.run(plan, bytesPerKey: bytesPerKey, progress: display.report)
        if let url = self.redis, self.engines.contains(.redis) {
            // Its threads, repetitions and settings: the cells are Redis's, whatever `engines` says.
            cells += try await RedisCells.run(url: url, pool: self.redisPool, plan: plan, progress: progress)
        }
        let report = BenchmarkReport(
            machine: machine,
            date: date,
            command: (["ratelimit-bench"] + CommandLine.arguments.dropFirst()).joined(separator: " "),
            cells: cells,
            recommendation: Recommendation.make(from: cells, threads: machine.cores)
        )
        display.finish()
        switch self.format {
        case .table: print(ResultTable.render(cells), terminator: "")
        case .json: print(try ResultFiles.json(report), terminator: "")
        case .csv: print(CSVRenderer.render(cells), terminator: "")
        }
        if !self.output.isEmpty {
            for path in try ResultFiles.write(report, to: self.output, label: self.label) {
                progress("wrote \(path)")
            }
        }
        let verdict =
            report.recommendation?.summary
            ?? "No recommendation: no engine (mutex, atomic, sharded) was measured closed loop (open-loop cells show latency at a load, not capacity)."
        if self.format == .table {
            print("\nRecommendation: \(verdict)")
        } else {
            progress("Recommendation: \(verdict)")
        }
    }
}

/// Which malloc the process uses.
enum AllocatorChoice: String, ExpressibleByArgument, CaseIterable {
    case system
    case jemalloc

    static let preloadMarker = "RATELIMIT_BENCH_JEMALLOC"

    /// For jemalloc, re-executes this process with `libjemalloc.so.2` preloaded (once).
    func activate() throws {
        guard self == .jemalloc, ProcessInfo.processInfo.environment[Self.preloadMarker] == nil else { return }
        let candidates = [
            "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", "/usr/lib/aarch64-linux-gnu/libjemalloc.so.2",
            "/usr/lib/libjemalloc.so.2", "/usr/local/lib/libjemalloc.so.2",
        ]
        guard let library = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw ValidationError(
                "--allocator jemalloc needs libjemalloc.so.2 (apt-get install libjemalloc2); looked in \(candidates.joined(separator: ", "))"
            )
        }
        setenv("LD_PRELOAD", library, 1)
        setenv(Self.preloadMarker, "1", 1)
        let arguments = ["/proc/self/exe"] + CommandLine.arguments.dropFirst()
        var argv = arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", &argv)
        throw ValidationError("--allocator jemalloc: could not re-execute with LD_PRELOAD (errno \(errno))")
    }
}
