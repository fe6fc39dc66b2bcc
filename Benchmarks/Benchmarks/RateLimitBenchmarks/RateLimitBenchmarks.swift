import Benchmark
import RateLimit

// One benchmark per engine × {hot-allow, uniform-allow, churn}. Each iteration makes 1,000
// decisions (scaling factor kilo). Engines and keys are created when the benchmarks are
// registered, so the measured closure contains decisions only.
//
// The CI gate is the committed malloc count in Thresholds/: zero allocations per decision on an
// existing key, for every engine — and, measured the same way, for churn at maxKeys.

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.mallocCountTotal, .wallClock, .throughput],
        warmupIterations: 10,
        scalingFactor: .kilo,
        maxDuration: .seconds(1),
        maxIterations: 10_000,
        // Malloc counts must match the committed thresholds exactly: no tolerance.
        thresholds: [.mallocCountTotal: .init(absolute: [.p90: 0])]
    )

    let policy = try! BucketPolicy(capacity: 1 << 29, refill: 1, every: .seconds(1))
    let churnPolicy = try! BucketPolicy(capacity: 10, refill: 2, every: .seconds(1))
    let keyCount = 10_000
    let churnMaxKeys = 16_384
    var random = SystemRandomNumberGenerator()
    let order = (0..<4096).map { _ in Int.random(in: 0..<keyCount, using: &random) }

    func register<Limiter: RateLimiter<Int>>(_ name: String, make: (BucketPolicy, Int) throws -> Limiter) {
        let hot = try! make(policy, 1024)
        _ = hot.acquire(0)
        Benchmark("\(name).hot-allow") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(hot.acquire(0))
            }
        }

        let uniform = try! make(policy, keyCount)
        for key in 0..<keyCount { _ = uniform.acquire(key) }
        Benchmark("\(name).uniform-allow") { benchmark in
            var index = 0
            for _ in benchmark.scaledIterations {
                blackHole(uniform.acquire(order[index & 4095]))
                index &+= 1
            }
        }

        // Every decision inserts a new key into a table already at maxKeys.
        let churn = try! make(churnPolicy, churnMaxKeys)
        for key in 0..<churnMaxKeys { _ = churn.acquire(-1 - key) }
        let next = Counter()
        Benchmark("\(name).churn") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(churn.acquire(next.increment()))
            }
        }
    }

    // Concrete engine types, as ratelimit-bench's cell runner uses: `register` is generic, so each
    // engine's `acquire` is specialised and these measure the engine, not the witness-table call
    // that `RateLimitEngine.make`'s existential adds. Exhaustive, so a fourth engine fails to build
    // here until it is registered.
    for engine in RateLimitEngine.allCases {
        switch engine {
        case .mutex: register(engine.rawValue) { try MutexRateLimiter<Int>(policy: $0, maxKeys: $1) }
        case .atomic: register(engine.rawValue) { try AtomicRateLimiter<Int>(policy: $0, maxKeys: $1) }
        case .sharded: register(engine.rawValue) { try ShardedRateLimiter<Int>(policy: $0, maxKeys: $1) }
        }
    }

    // The gate's own canary: exactly one heap allocation per operation, with that count committed
    // as its threshold (1,000 per iteration of 1,000 operations). Zero everywhere would also be what a malloc counter that silently stopped
    // counting reports; this benchmark then fails the check (as an "improvement"), so a green gate
    // proves the counter is live.
    Benchmark("canary.one-malloc-per-operation") { benchmark in
        for _ in benchmark.scaledIterations {
            let pointer = UnsafeMutablePointer<Int>.allocate(capacity: 4)
            blackHole(pointer)
            pointer.deallocate()
        }
    }
}

/// A source of fresh keys, used by one benchmark thread at a time.
final class Counter: @unchecked Sendable {
    private var value = 0

    func increment() -> Int {
        self.value &+= 1
        return self.value
    }
}
