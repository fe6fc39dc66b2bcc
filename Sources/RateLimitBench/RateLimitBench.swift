import ArgumentParser
import Foundation
import RateLimitBenchmarkKit

/// `ratelimit-bench`: measures the engines and says which one to run.
@main
struct RateLimitBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ratelimit-bench",
        abstract: "Measures the rate-limit engines on this machine and recommends one.",
        discussion: "Without a subcommand, runs the default sweep (`run`): about two minutes on two cores.",
        subcommands: [
            RunCommand.self, CompareCommand.self, StressCommand.self, RecommendCommand.self, GenerateTraceCommand.self,
            MemoryCommand.self, RedisEvalshaCommand.self,
        ],
        defaultSubcommand: RunCommand.self
    )

    /// Parses and runs, printing any error as one line and exiting with the command's code
    /// (64 for usage errors) instead of the full usage text.
    static func main() async {
        do {
            var command = try Self.parseAsRoot()
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch let exit as ExitCode {
            // A verdict already printed (`compare` found a regression): the status says the rest.
            Foundation.exit(exit.rawValue)
        } catch {
            let code = Self.exitCode(for: error)
            if code == .success {
                // --help and --version.
                Self.exit(withError: error)
            }
            let message = Self.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            FileHandle.standardError.write(Data("ratelimit-bench: \(message)\n".utf8))
            Foundation.exit(code.rawValue)
        }
    }
}

/// Progress goes to standard error, so that standard output stays machine-readable: an updating
/// line on a terminal, a log otherwise.
let display = ProgressDisplay.standardError()

/// Writes `line` to the progress log.
func progress(_ line: String) {
    display.log(line)
}

/// Turns a kit parsing error into one that ArgumentParser reports with the flag's name.
func parsing<Value>(_ parse: @escaping @Sendable (String) throws(ArgumentError) -> Value)
    -> @Sendable (String) throws -> Value
{
    { text in
        do throws(ArgumentError) {
            return try parse(text)
        } catch {
            throw ValidationError(error.description)
        }
    }
}
