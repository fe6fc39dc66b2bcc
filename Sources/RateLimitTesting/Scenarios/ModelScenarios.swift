import RateLimit

// Scenarios that replay seeded random sequences and compare every decision, field by field, with
// ``ReferenceBucket``.

extension RateLimiterConformance {
    func modelRandomSequences(_ context: ScenarioContext<Key>) throws(ConformanceFailure) {
        let policies: [BucketPolicy] = [
            try context.policy(10, 2, every: .seconds(1), .smooth),
            try context.policy(10, 2, every: .seconds(1), .stepped),
            try context.policy(20, 7, every: .milliseconds(1), .smooth),
            try context.policy(20, 7, every: .milliseconds(1), .stepped),
            try context.policy(50, 1000, every: .seconds(3), .smooth),
            try context.policy(1500, 1000, every: .seconds(3), .stepped),
            try context.policy(5, 3, every: .nanoseconds(7), .smooth),
            try context.policy(12, 5, every: .seconds(2), .stepped),
            try context.policy(3, 1, every: .seconds(3600), .smooth),
            try context.policy(1, 1, every: .nanoseconds(1), .stepped),
        ]
        for (number, policy) in policies.enumerated() {
            try self.replay(policy: policy, seed: 0x5EED_0000 + UInt64(number), steps: 3000, keys: 12, context)
        }
    }

    /// Policies whose tick is so fine that the engine must move its epoch about once a second of
    /// clock time, while buckets still owe tokens.
    func epochRebase(_ context: ScenarioContext<Key>) throws(ConformanceFailure) {
        let policies: [BucketPolicy] = [
            // M = 2³² ticks per ns: a rebase every 2³⁰ ns ≈ 1.07 s; the window is ≈ 0.47 s.
            try context.policy(2_000_000_000, 1 << 32, every: .nanoseconds(1_000_000_001), .smooth),
            // Stepped, r = 2³²: a rebase every ≈ 1.07 s; the window is 3 steps of 100 ms.
            try context.policy(3 << 32, 1 << 32, every: .milliseconds(100), .stepped),
        ]
        for (number, policy) in policies.enumerated() {
            try self.replay(
                policy: policy, seed: 0xE90C_0000 + UInt64(number), steps: 2000, keys: 4, maximumStep: 40_000_000,
                context)
        }
    }

    /// Replays one random sequence of (key, cost, clock advance) on a fresh engine and on one
    /// reference bucket per key, comparing every decision.
    func replay(
        policy: BucketPolicy,
        seed: UInt64,
        steps: Int,
        keys: Int,
        maximumStep: Int64? = nil,
        _ context: ScenarioContext<Key>
    ) throws(ConformanceFailure) {
        let clock = ManualClock()
        // maxKeys far from the bound, even per shard.
        let limiter = try context.limiter(policy, maxKeys: 64 * keys, clock: clock)
        var models = Array(repeating: ReferenceBucket(policy: policy), count: keys)
        var random = SplitMix64(seed: seed)
        let interval = policy.interval.saturatingNanoseconds
        let perToken = max(1, interval / Int64(policy.refill))
        // The time to refill from empty, capped so that sums stay far from overflow.
        let window = Int64(min(Int128(policy.capacity) * Int128(interval) / Int128(policy.refill) + 1, Int128(1) << 50))
        var now: Int64 = 0
        for step in 0..<steps {
            let advance = random.modelAdvance(perToken: perToken, window: window)
            let delta = min(advance, maximumStep ?? .max)
            try context.advance(clock, delta)
            now += delta
            let cost = policy.randomModelCost(using: &random)
            let key = Int(random.next() % UInt64(keys))
            let decision = limiter.acquire(context.key(key), cost: cost)
            let expected = models[key].acquire(cost: cost, at: now)
            try context.expect(
                decision == expected,
                "\(policy), seed \(seed), step \(step) (t = \(now) ns, key \(key), cost \(cost)): expected \(expected); got \(decision)"
            )
        }
    }
}

extension BucketPolicy {
    /// A request cost for the model scenarios: mostly 1, then 0 (a peek), 2, any cost up to the
    /// capacity, and capacity + 1 (always denied) — every branch of a decision, on any engine.
    package func randomModelCost(using random: inout SplitMix64) -> Int {
        switch random.next() % 20 {
        case 0..<8: 1
        case 8..<11: 0
        case 11..<14: min(2, self.capacity)
        case 14..<19: Int.random(in: 1...self.capacity, using: &random)
        default: self.capacity + 1
        }
    }
}

extension SplitMix64 {
    /// A time step for the model scenarios, in the caller's unit: half the time none, else up to
    /// one token's time, two windows (`window`: the time to refill from empty) or ten — so that
    /// sequences cover bursts, partial refills and long idle gaps.
    package mutating func modelAdvance(perToken: Int64, window: Int64) -> Int64 {
        switch self.next() % 20 {
        case 0..<10: 0
        case 10..<16: Int64.random(in: 0...perToken, using: &self)
        case 16..<19: Int64.random(in: 0...(2 * window), using: &self)
        default: Int64.random(in: 0...(10 * window), using: &self)
        }
    }
}
