import Foundation
import RateLimit
import RateLimitBenchmarkKit

/// The user-written engine, registered with the harness under a name. Each factory returns a
/// non-generic wrapper: its conformance is compiled here, specialised for the key type, where a
/// generic type's conformance would run its unspecialised code when called through
/// `any RateLimiter` (see the README for what that costs).
struct GCRAEngine: BenchmarkableEngine {
    let name = "gcra"

    func makeLimiter(policy: BucketPolicy, maxKeys: Int, clock: MonotonicClock) throws -> any RateLimiter<Int> {
        Specialized(base: try GCRARateLimiter<Int>(policy: policy, maxKeys: maxKeys, clock: clock))
    }

    func makeStringKeyedLimiter(policy: BucketPolicy, maxKeys: Int, clock: MonotonicClock) throws
        -> any RateLimiter<String>
    {
        StringKeyed(base: try GCRARateLimiter<String>(policy: policy, maxKeys: maxKeys, clock: clock))
    }

    struct Specialized: RateLimiter {
        let base: GCRARateLimiter<Int>
        var policy: BucketPolicy { self.base.policy }
        func acquire(_ key: Int, cost: Int) -> RateLimitDecision { self.base.acquire(key, cost: cost) }
        func acquire(_ key: Int, cost: Int) async throws -> RateLimitDecision {
            try self.base.checkedAcquire(key, cost: cost)
        }
    }

    struct StringKeyed: RateLimiter {
        let base: GCRARateLimiter<String>
        var policy: BucketPolicy { self.base.policy }
        func acquire(_ key: String, cost: Int) -> RateLimitDecision { self.base.acquire(key, cost: cost) }
        func acquire(_ key: String, cost: Int) async throws -> RateLimitDecision {
            try self.base.checkedAcquire(key, cost: cost)
        }
    }
}

/// The package's `atomic` engine through the same protocol, twice: as its generic type (what the
/// harness's existential call costs when the conformance is generic), and behind non-generic
/// wrappers like `gcra`'s. Compare both rows with the built-in `atomic` row of the same run.
struct AtomicThroughTheProtocol: BenchmarkableEngine {
    let wrapped: Bool
    var name: String { self.wrapped ? "atomic-wrapped" : "atomic-generic" }

    func makeLimiter(policy: BucketPolicy, maxKeys: Int, clock: MonotonicClock) throws -> any RateLimiter<Int> {
        let limiter = try AtomicRateLimiter<Int>(policy: policy, maxKeys: maxKeys, clock: clock)
        return self.wrapped ? Specialized(base: limiter) : limiter
    }

    func makeStringKeyedLimiter(policy: BucketPolicy, maxKeys: Int, clock: MonotonicClock) throws
        -> any RateLimiter<String>
    {
        let limiter = try AtomicRateLimiter<String>(policy: policy, maxKeys: maxKeys, clock: clock)
        return self.wrapped ? StringKeyed(base: limiter) : limiter
    }

    struct Specialized: RateLimiter {
        let base: AtomicRateLimiter<Int>
        var policy: BucketPolicy { self.base.policy }
        func acquire(_ key: Int, cost: Int) -> RateLimitDecision { self.base.acquire(key, cost: cost) }
        func acquire(_ key: Int, cost: Int) async throws -> RateLimitDecision {
            try self.base.checkedAcquire(key, cost: cost)
        }
    }

    struct StringKeyed: RateLimiter {
        let base: AtomicRateLimiter<String>
        var policy: BucketPolicy { self.base.policy }
        func acquire(_ key: String, cost: Int) -> RateLimitDecision { self.base.acquire(key, cost: cost) }
        func acquire(_ key: String, cost: Int) async throws -> RateLimitDecision {
            try self.base.checkedAcquire(key, cost: cost)
        }
    }
}

// Usage: CustomEngineBenchmark [duration-ms] [output-directory]
let arguments = Array(CommandLine.arguments.dropFirst())
var configuration = RateLimitBenchmark.Configuration()
configuration.threads = [1, 2]
if let text = arguments.first {
    guard let milliseconds = Int(text), (1...3_600_000).contains(milliseconds) else {
        FileHandle.standardError.write(
            Data(
                "CustomEngineBenchmark: invalid duration '\(text)': must be milliseconds in 1...3600000, such as 250\n"
                    .utf8))
        exit(64)
    }
    configuration.duration = .milliseconds(milliseconds)
}
let output = arguments.count > 1 ? arguments[1] : "results"

do {
    let engines: [any BenchmarkableEngine] = [
        GCRAEngine(), AtomicThroughTheProtocol(wrapped: false), AtomicThroughTheProtocol(wrapped: true),
    ]
    let result = try RateLimitBenchmark.run(engines, configuration: configuration) { line in
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
    print(result.table)
    print("Recommendation: \(result.recommendation ?? "none")")
    for path in try result.write(to: output, label: "custom-engine") {
        print("wrote \(path)")
    }
} catch {
    FileHandle.standardError.write(Data("CustomEngineBenchmark: \(error)\n".utf8))
    exit(64)
}
