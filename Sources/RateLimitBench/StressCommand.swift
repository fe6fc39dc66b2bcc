import ArgumentParser
import Foundation
import RateLimitBenchmarkKit

/// Correctness under contention for a long time; exits non-zero on any violation.
struct StressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stress",
        abstract: "Hammers every engine with real threads on frozen and real clocks; exits 1 on any over- or under-admission."
    )

    @Option(help: "Engines: mutex, atomic, sharded.", transform: parsing { text throws(ArgumentError) in
        let engines = try BenchmarkEngine.parseList(text)
        if let reference = engines.first(where: { !$0.isRateLimiter }) {
            throw ArgumentError("'\(reference)' is a reference row, not an engine: allowed values are mutex, atomic, sharded")
        }
        return engines
    })
    var engines: [BenchmarkEngine] = [.mutex, .atomic, .sharded]

    @Option(parsing: .unconditional, help: "Thread counts, comma-separated, each in 1...1024; rounds cycle through them.", transform: parsing(ArgumentParsing.threadCounts))
    var threads: [Int] = [1, 2, 4, 8, 16, 32]

    @Option(help: "Run time per engine, such as 60s (1ms...1h).", transform: parsing(ArgumentParsing.duration))
    var duration: Duration = .seconds(10)

    func run() throws {
        var clean = true
        for engine in self.engines {
            let outcome = StressRunner.run(engine: engine, threads: self.threads, duration: self.duration, progress: progress)
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
