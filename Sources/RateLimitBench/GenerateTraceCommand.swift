import ArgumentParser
import Foundation
import RateLimitBenchmarkKit

/// Writes a synthetic trace with the shape of real traffic, for `--trace`.
struct GenerateTraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-trace",
        abstract:
            "Writes a synthetic trace for --trace: Zipf(1.1) clients, bursts, a diurnal swing and a few expensive requests."
    )

    @Option(
        parsing: .unconditional, help: "Requests in the trace, in 1...50000000.",
        transform: parsing { text throws(ArgumentError) in
            try ArgumentParsing.integer(text, name: "requests", in: 1...Trace.maximumRequests)
        })
    var requests: Int = 100_000

    @Option(
        parsing: .unconditional, help: "Distinct clients (IPv4 addresses), in 1...16777216.",
        transform: parsing { text throws(ArgumentError) in
            try ArgumentParsing.integer(text, name: "keys", in: 1...(1 << 24))
        })
    var keys: Int = 10_000

    @Option(help: "The span the arrivals cover, such as 60s (1ms...1h).", transform: parsing(ArgumentParsing.duration))
    var duration: Duration = .seconds(60)

    @Option(
        parsing: .unconditional, help: "Seed: the same seed writes the same trace, in 0...2^63.",
        transform: parsing { text throws(ArgumentError) in
            try ArgumentParsing.integer(text, name: "seed", in: 0...Int.max)
        })
    var seed: Int = 1

    @Option(help: "The file to write (in an existing directory).")
    var output: String

    func validate() throws {
        try validateOutputFile(self.output)
    }

    func run() throws {
        let generator = TraceGenerator(
            requests: self.requests, keys: self.keys, duration: self.duration, seed: UInt64(self.seed))
        try ResultFiles.writeAtomically(generator.csv(), to: URL(fileURLWithPath: self.output))
        let written = try Trace.read(path: self.output)
        progress("wrote \(self.output): \(written.summary)")
    }
}

/// Fails unless `path` names a file in an existing, writable directory.
func validateOutputFile(_ path: String) throws {
    let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue,
        FileManager.default.isWritableFile(atPath: directory)
    else {
        throw ValidationError(
            ArgumentError.invalid("output", path, mustBe: "a file in an existing, writable directory").description)
    }
}
