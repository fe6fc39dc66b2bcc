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

    @Test(arguments: policies)
    func allEnginesAgree(policy: BucketPolicy) throws {
        let clock = ManualClock()
        let keys = 500
        // maxKeys well above the key count: no bucket that owes tokens is ever evicted, so the
        // engines' different table layouts cannot change a decision.
        let engines: [any BoundedRateLimiter<String>] = try Engine.allCases.map { try $0.make(policy, maxKeys: 64 * keys, clock: clock) }
        var models = [String: ReferenceBucket]()
        var random = SystemRandomNumberGenerator()
        let seed = random.next() as UInt64
        var generator = SeededGenerator(seed: seed)
        var now: Int64 = 0
        let interval = Int64(policy.interval.components.seconds) * 1_000_000_000 + policy.interval.components.attoseconds / 1_000_000_000
        for step in 0..<20_000 {
            let advance = generator.next() % 3 == 0 ? Int64(generator.next() % UInt64(2 * interval + 1)) : 0
            try clock.advance(nanoseconds: advance)
            now += advance
            let key = "key-\(generator.next() % UInt64(keys))"
            let cost = Int(generator.next() % UInt64(policy.capacity + 2))
            let decisions = engines.map { $0.acquire(key, cost: cost) }
            let expected = models[key, default: ReferenceBucket(policy: policy)].acquire(cost: cost, at: now)
            for (engine, decision) in zip(Engine.allCases, decisions) {
                try #require(decision == expected, "seed \(seed), step \(step), \(engine), key \(key), cost \(cost): \(decision) ≠ model \(expected)")
            }
        }
        for (engine, limiter) in zip(Engine.allCases, engines) {
            #expect(limiter.statistics.evictedBuckets == 0, "\(engine): \(limiter.statistics)")
        }
    }
}

/// SplitMix64, seeded from the system generator and printed on failure for replay.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
