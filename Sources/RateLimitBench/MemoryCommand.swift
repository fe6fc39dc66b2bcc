import ArgumentParser
import RateLimitBenchmarkKit

/// Run by the harness in a child process: prints one engine's bytes per key.
struct MemoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory",
        abstract: "Prints bytes per tracked key for one engine, measured in this fresh process.",
        shouldDisplay: false
    )

    @Option(
        help: "The engine: mutex, atomic, sharded or tutorial.",
        transform: parsing { text throws(ArgumentError) in
            let engines = try BenchmarkEngine.parseList(text)
            guard engines.count == 1, !engines[0].isFloor else {
                throw ArgumentError("expected one of mutex, atomic, sharded, tutorial")
            }
            return engines[0]
        })
    var engine: BenchmarkEngine

    @Option(
        parsing: .unconditional, help: "Keys to track, in 1...100000000.",
        transform: parsing { text throws(ArgumentError) in
            try ArgumentParsing.integer(text, name: "keys", in: 1...100_000_000)
        })
    var keys: Int = 100_000

    func run() throws {
        guard let bytes = MemoryProbe.measureInThisProcess(engine: self.engine, keys: self.keys) else {
            throw ExitCode(1)
        }
        print(decimal(bytes, digits: 2))
    }
}
