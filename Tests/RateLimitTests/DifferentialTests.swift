import RateLimit
import RateLimitTesting
import Testing

/// The same random sequence of (key, cost, clock advance) must get identical decisions from all
/// three engines — and from the reference model.
@Suite("Differential")
struct DifferentialTests {
    static let policies: [BucketPolicy] = [
        try! BucketPolicy(capacity: 10, refill: 2, every: .seconds(1)),
        try! BucketPolicy(capacity: 10, refill: 2, every: .seconds(1), mode: .stepped),
        try! BucketPolicy(capacity: 30, refill: 7, every: .milliseconds(1)),
        try! BucketPolicy(capacity: 1000, refill: 1000, every: .seconds(3), mode: .stepped),
        try! BucketPolicy(capacity: 4, refill: 9, every: .nanoseconds(13), mode: .stepped),
    ]

    /// 20,000 steps on a thread kept for blocking work (seconds under ThreadSanitizer).
    @Test(arguments: policies)
    func allEnginesAgree(policy: BucketPolicy) async throws {
        var random = SystemRandomNumberGenerator()
        let seed = random.next() as UInt64
        let mismatches = try await RealThreads.offload { Result { try Self.replay(policy: policy, seed: seed) } }.get()
        #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "; "))")
    }

    /// Replays one seeded sequence; returns what went wrong (empty when every engine agreed).
    static func replay(policy: BucketPolicy, seed: UInt64) throws -> [String] {
        let clock = ManualClock()
        let keys = 500
        // maxKeys well above the key count: no bucket that owes tokens is ever evicted, so the
        // engines' different table layouts cannot change a decision.
        let engines: [any BoundedRateLimiter<String>] = try RateLimitEngine.allCases.map {
            try $0.make(policy: policy, maxKeys: 64 * keys, clock: clock)
        }
        var models = [String: ReferenceBucket]()
        var generator = SplitMix64(seed: seed)
        var now: Int64 = 0
        let interval = policy.interval.saturatingNanoseconds
        for step in 0..<20_000 {
            let advance = generator.next() % 3 == 0 ? Int64(generator.next() % UInt64(2 * interval + 1)) : 0
            try clock.advance(nanoseconds: advance)
            now += advance
            let key = "key-\(generator.next() % UInt64(keys))"
            let cost = Int(generator.next() % UInt64(policy.capacity + 2))
            let decisions = engines.map { $0.acquire(key, cost: cost) }
            let expected = models[key, default: ReferenceBucket(policy: policy)].acquire(cost: cost, at: now)
            for (engine, decision) in zip(RateLimitEngine.allCases, decisions) where decision != expected {
                return [
                    "seed \(seed), step \(step), \(engine), key \(key), cost \(cost): \(decision) ≠ model \(expected)"
                ]
            }
        }
        return zip(RateLimitEngine.allCases, engines).compactMap { engine, limiter in
            limiter.statistics.evictedBuckets == 0 ? nil : "\(engine) evicted buckets: \(limiter.statistics)"
        }
    }
}
