import ArgumentParser
import Foundation
import RateLimit
import RateLimitBenchmarkKit

/// Correctness under contention for a long time; exits non-zero on any violation.
struct StressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stress",
        abstract:
            "Hammers every engine with real threads on frozen and real clocks; exits 1 on any over- or under-admission."
    )

    @Option(
        help: "Engines: mutex, atomic, sharded.",
        transform: parsing { text throws(ArgumentError) in
            try BenchmarkEngine.parseList(text).map { engine throws(ArgumentError) in
                guard let engine = engine.rateLimitEngine else {
                    let allowed = RateLimitEngine.names
                    throw ArgumentError("'\(engine)' is a reference row, not an engine: allowed values are \(allowed)")
                }
                return engine
            }
        })
    var engines: [RateLimitEngine] = RateLimitEngine.allCases

    @Option(
        parsing: .unconditional, help: "Thread counts, comma-separated, each in 1...1024; rounds cycle through them.",
        transform: parsing(ArgumentParsing.threadCounts))
    var threads: [Int] = [1, 2, 4, 8, 16, 32]

    @Option(
        help: "Run time per engine, such as 60s (1ms...1h); ignored with --decisions.",
        transform: parsing(ArgumentParsing.duration))
    var duration: Duration = .seconds(10)

    @Option(
        help:
            "Run until each engine has made this many decisions, such as 1000000000 or 1e9 (1...1e12), instead of for --duration.",
        transform: parsing { text throws(ArgumentError) in
            try ArgumentParsing.count(text, name: "--decisions", in: 1...1_000_000_000_000)
        })
    var decisions: Int?

    func run() throws {
        var clean = true
        let limit: StressRunner.Limit = self.decisions.map { .decisions($0) } ?? .duration(self.duration)
        for engine in self.engines {
            let outcome = StressRunner.run(engine: engine, threads: self.threads, limit: limit, progress: progress)
            print(outcome.description)
            for violation in outcome.firstViolations {
                print("  violation: \(violation)")
            }
            clean = clean && outcome.isClean
        }
        print(clean ? "stress: clean" : "stress: VIOLATIONS FOUND")
        if !clean {
            throw ExitCode(1)
        }
    }
}
