import RateLimit
import RateLimitTesting
import Testing

@testable import RateLimitRedis

// Random sequences against the reference model, and Redis's own clock.
extension ConformanceTests {
    /// Seeded random sequences of (key, cost, time step) on many policies — fractional rates,
    /// tiny and huge intervals, windows near the 2⁵² limit — every decision compared with
    /// `ReferenceBucket`.
    @Test("model-random-sequences (scripted time)")
    func modelRandomSequences() async throws {
        let server = try await RedisServer()
        let policies: [BucketPolicy] = [
            try BucketPolicy(capacity: 10, refill: 2, every: .seconds(1)),
            try BucketPolicy(capacity: 10, refill: 2, every: .seconds(1), mode: .stepped),
            try BucketPolicy(capacity: 20, refill: 7, every: .milliseconds(1)),
            try BucketPolicy(capacity: 20, refill: 7, every: .milliseconds(1), mode: .stepped),
            try BucketPolicy(capacity: 50, refill: 1000, every: .seconds(3)),
            try BucketPolicy(capacity: 1500, refill: 1000, every: .seconds(3), mode: .stepped),
            try BucketPolicy(capacity: 5, refill: 3, every: .nanoseconds(7)),
            try BucketPolicy(capacity: 12, refill: 5, every: .seconds(2), mode: .stepped),
            try BucketPolicy(capacity: 3, refill: 1, every: .seconds(3600)),
            try BucketPolicy(capacity: 1, refill: 1, every: .nanoseconds(1), mode: .stepped),
            try BucketPolicy(capacity: 1000, refill: 999_983, every: .seconds(1)),
            try BucketPolicy(capacity: 3, refill: 1 << 32, every: .seconds(1)),
            try BucketPolicy(capacity: 7, refill: 3, every: .nanoseconds(1001), mode: .stepped),
            // Windows close to the 2^52-tick limit of the Redis engine.
            try BucketPolicy(capacity: 50, refill: 1, every: .seconds(86_400)),
            try BucketPolicy(capacity: 20, refill: 1, every: .seconds(86_400), mode: .stepped),
        ]
        for (number, policy) in policies.enumerated() {
            let limiter = try makeLimiter(server, policy, prefix: "model\(number):")
            defer { Task { await limiter.shutdown() } }
            try await self.replay(limiter, seed: 0x5EED_0000 + UInt64(number), steps: 1200, keys: 6)
        }
    }

    private func replay(_ limiter: RedisRateLimiter<String>, seed: UInt64, steps: Int, keys: Int) async throws {
        let policy = limiter.policy
        var models = Array(repeating: ReferenceBucket(policy: policy), count: keys)
        var random = SplitMix64(seed: seed)
        let interval = policy.interval.totalNanoseconds
        let perTokenUs = Int64(max(1, interval / Int128(policy.refill) / 1000))
        let windowUs = Int64(
            min(Int128(policy.capacity) * interval / Int128(policy.refill) / 1000 + 1, Int128(1) << 44))
        var now: Int64 = 1_000_000
        var failures = 0
        for step in 0..<steps {
            let advance = random.modelAdvance(perToken: perTokenUs, window: windowUs)
            now = min(now + advance, (1 << 52))
            let cost = policy.randomModelCost(using: &random)
            let key = Int(random.next() % UInt64(keys))
            let (decision, used) = try await limiter.acquire("k\(key)", cost: cost, atMicroseconds: now)
            let expected = models[key].acquire(cost: cost, at: used * 1000)
            if decision != expected || used != now {
                failures += 1
                Issue.record(
                    "\(policy), seed \(seed), step \(step) (t = \(now) µs, used \(used), key \(key), cost \(cost)): expected \(expected); got \(decision)"
                )
                if failures > 5 { return }
            }
        }
    }

    /// Redis's own clock: the script returns the time it used, and the reference is fed that
    /// time, so the comparison is exact even though the test does not control the clock.
    @Test(
        "Redis TIME: every decision equals the reference at the time Redis used",
        arguments: [
            try! BucketPolicy(capacity: 5, refill: 7, every: .milliseconds(1)),
            try! BucketPolicy(capacity: 5, refill: 7, every: .milliseconds(1), mode: .stepped),
            try! BucketPolicy(capacity: 4, refill: 1, every: .milliseconds(2)),
            try! BucketPolicy(capacity: 10, refill: 3, every: .milliseconds(10), mode: .stepped),
        ]
    )
    func redisTime(policy: BucketPolicy) async throws {
        let server = try await RedisServer()
        let limiter = try makeLimiter(server, policy)
        defer { Task { await limiter.shutdown() } }
        var models = Array(repeating: ReferenceBucket(policy: policy), count: 3)
        var random = SplitMix64(seed: 0x71AE)
        var lastUsed: Int64 = 0
        var allowed = 0
        var denied = 0
        for step in 0..<600 {
            if random.next() % 4 == 0 {
                try await Task.sleep(for: .microseconds(Int64(random.next() % 1500)))
            }
            let key = Int(random.next() % 3)
            let cost = Int(random.next() % UInt64(policy.capacity + 2))
            let (decision, used) = try await limiter.acquireReportingTime("k\(key)", cost: cost)
            #expect(used >= lastUsed, "Redis time went backwards: \(used) after \(lastUsed)")
            lastUsed = max(lastUsed, used)
            let expected = models[key].acquire(cost: cost, at: used * 1000)
            #expect(
                decision == expected,
                "\(policy) step \(step) at \(used) µs, key \(key), cost \(cost): expected \(expected); got \(decision)")
            if decision.isAllowed { allowed += 1 } else { denied += 1 }
        }
        // The sequence must exercise both outcomes to mean anything.
        #expect(allowed > 50 && denied > 50, "allowed \(allowed), denied \(denied)")
    }
}
