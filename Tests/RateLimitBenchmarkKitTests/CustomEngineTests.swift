import RateLimit
import RateLimitBenchmarkKit
import RateLimitTesting
import Testing

/// The public API: your own engine, measured beside the package's.
@Suite("Custom engines")
struct CustomEngineTests {
    /// The package's mutex engine under another name, made through the public protocol.
    struct Renamed: BenchmarkableEngine {
        let name: String

        func makeLimiter(policy: BucketPolicy, maxKeys: Int, clock: MonotonicClock) throws -> any RateLimiter<Int> {
            try MutexRateLimiter<Int>(policy: policy, maxKeys: maxKeys, clock: clock)
        }

        func makeStringKeyedLimiter(policy: BucketPolicy, maxKeys: Int, clock: MonotonicClock) throws
            -> any RateLimiter<String>
        {
            try MutexRateLimiter<String>(policy: policy, maxKeys: maxKeys, clock: clock)
        }
    }

    /// An engine that cannot make String-keyed limiters (a bound of 0 keys is refused).
    struct Small: BenchmarkableEngine {
        let name = "small"

        func makeLimiter(policy: BucketPolicy, maxKeys: Int, clock: MonotonicClock) throws -> any RateLimiter<Int> {
            try MutexRateLimiter<Int>(policy: policy, maxKeys: maxKeys, clock: clock)
        }

        func makeStringKeyedLimiter(policy: BucketPolicy, maxKeys: Int, clock: MonotonicClock) throws
            -> any RateLimiter<String>
        {
            try MutexRateLimiter<String>(policy: policy, maxKeys: 0, clock: clock)
        }
    }

    @Test func yourEngineGetsTheSameCellsAndCompetesForTheRecommendation() async throws {
        var configuration = RateLimitBenchmark.Configuration()
        configuration.workloads = ["hot-allow", "uniform-ip"]
        configuration.threads = [1]
        configuration.keys = 100
        configuration.duration = .milliseconds(5)
        configuration.repetitions = 1
        let lines = LinesSeen()
        let withBuiltIns = configuration
        let result = try await RealThreads.offload {
            Result {
                try RateLimitBenchmark.run([Renamed(name: "my-mutex")], configuration: withBuiltIns) {
                    lines.append($0)
                }
            }
        }.get()
        // Five rows of the package's and one of yours on each workload, and the keyed floor on
        // hot-allow (its keys are not uniform-ip's strings).
        #expect(lines.count == 13)
        for workload in ["hot-allow", "uniform-ip"] {
            for engine in ["my-mutex", "mutex", "atomic", "sharded", "floor", "tutorial"] {
                #expect(
                    (result.operationsPerSecond(engine: engine, workload: workload, threads: 1) ?? 0) > 0,
                    "\(engine) \(workload)")
            }
        }
        #expect(result.table.contains("my-mutex"))
        let json = try result.json()
        #expect(json.contains("\"engine\" : \"my-mutex\""))
        #expect(result.recommendedEngine != nil && result.recommendation != nil)

        // Without the package's engines, yours is the only contender.
        configuration.includeBuiltIns = false
        let withoutBuiltIns = configuration
        let alone = try await RealThreads.offload {
            Result { try RateLimitBenchmark.run([Renamed(name: "my-mutex")], configuration: withoutBuiltIns) }
        }.get()
        #expect(alone.recommendedEngine == "my-mutex")
        #expect(alone.operationsPerSecond(engine: "atomic", workload: "hot-allow", threads: 1) == nil)
    }

    @Test func badEnginesAndSettingsFailBeforeAnythingRuns() {
        func message(_ engines: [any BenchmarkableEngine], _ change: (inout RateLimitBenchmark.Configuration) -> Void)
            -> String
        {
            var configuration = RateLimitBenchmark.Configuration()
            change(&configuration)
            do {
                _ = try RateLimitBenchmark.run(engines, configuration: configuration)
                return "no error"
            } catch let error as RateLimitError {
                #expect(error.code == .invalidConfiguration)
                return error.message
            } catch {
                return "unexpected \(error)"
            }
        }
        #expect(message([Renamed(name: "atomic")], { _ in }).hasPrefix("invalid engine name 'atomic': must be none of"))
        #expect(
            message([Renamed(name: "a b")], { _ in })
                == "invalid engine name 'a b': must be 1 to 32 letters, digits, '-' or '_'")
        #expect(
            message([Renamed(name: "x"), Renamed(name: "x")], { _ in })
                == "invalid engine name 'x': must be used by one engine only")
        #expect(message([Small()], { _ in }).hasPrefix("engine 'small' cannot create a limiter for "))
        #expect(
            message([], { $0.workloads = ["hot"] }).hasPrefix("unknown workload 'hot': allowed values are hot-allow"))
        #expect(message([], { $0.threads = [0] }) == "invalid threads '[0]': must be thread counts, each in 1...1024")
        #expect(message([], { $0.repetitions = 0 }) == "invalid repetitions '0': must be in 1...100")
        #expect(message([], { $0.includeBuiltIns = false }).hasPrefix("invalid engines '[]'"))
    }
}

/// Lines a progress callback saw.
final class LinesSeen: @unchecked Sendable {
    // @unchecked: the run calls back on the thread that called it, one line at a time.
    private(set) var lines: [String] = []

    func append(_ line: String) {
        self.lines.append(line)
    }

    var count: Int { self.lines.count }
}
