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

    func run() throws {
        // A hot distribution is two keys: one never dry and, with a deny share, one always empty.
        let workload: Workload = self.distribution == .zipf ? .zipfAllow : .uniformAllow
        let keys = self.distribution == .hot ? 2 : self.keys
        let engines = RateLimitEngine.allCases.map(BenchmarkEngine.engine)
        let plan = BenchmarkPlan(
            engines: engines,
            workloads: [workload],
            threads: [self.threads],
            keys: keys,
            duration: self.duration,
            repetitions: self.repetitions,
            clock: .precise,
            denyRatio: self.denyRatio
        )
        progress(
            "recommend: \(self.distribution) over \(keys) keys, \(self.threads) threads, deny ratio \(self.denyRatio)")
        var bytesPerKey: [BenchmarkEngine: Double] = [:]
        for engine in engines {
            bytesPerKey[engine] = MemoryProbe.measureInChild(engine: engine, keys: max(keys, 10_000))
        }
        let cells = BenchmarkRunner.run(plan, bytesPerKey: bytesPerKey, progress: progress)
        let ranked = cells.sorted { $0.opsPerSecond > $1.opsPerSecond }
        guard let best = ranked.first else { throw ExitCode(1) }
        func evidence(_ cell: CellResult) -> String {
            let bytes = cell.bytesPerKey.map { ", \(decimal($0, digits: 1)) B/key" } ?? ""
            let denied = cell.allowed + cell.denied > 0 ? Double(cell.denied) / Double(cell.allowed + cell.denied) : 0
            return
                "\(decimal(cell.opsPerSecond / 1e6, digits: 2)) M ops/s (\(decimal(cell.opsPerSecondMin / 1e6, digits: 2))–\(decimal(cell.opsPerSecondMax / 1e6, digits: 2))), p50 \(cell.p50Nanoseconds) ns, p99 \(cell.p99Nanoseconds) ns\(bytes), \(decimal(denied * 100, digits: 1)) % denied"
        }
        for cell in ranked {
            print("\(cell.engine): \(evidence(cell))")
        }
        print("\nChoose \(best.engine): \(evidence(best)).")
        if ranked.count > 1 {
            let second = ranked[1]
            print(
                "Runner-up: \(second.engine), \(decimal(second.opsPerSecond / best.opsPerSecond * 100, digits: 0)) % of its throughput."
            )
        }
    }
}
