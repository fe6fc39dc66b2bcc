import ArgumentParser

/// Prints the `EVALSHA` that one redis-engine decision sends, for `redis-benchmark` to replay
/// (`Benchmarks/redis/run.sh`): `EVALSHA <sha1> 1 bench:{__rand_int__} <policy…> 1 ""`.
struct RedisEvalshaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redis-evalsha",
        abstract: "Prints the EVALSHA command of one redis-engine decision, for redis-benchmark.",
        shouldDisplay: false
    )

    func run() throws {
        // Shell words: the empty last argument (use Redis's clock) is written as "".
        print(try RedisCells.evalshaArguments().map { $0.isEmpty ? "\"\"" : $0 }.joined(separator: " "))
    }
}
