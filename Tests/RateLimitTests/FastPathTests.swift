import RateLimit
import RateLimitTesting
import Testing

/// The whole conformance suite through each engine's fast paths (``FastPathDecisions``): decisions
/// at a reading taken with `now()`, and through handles kept per key across evictions and growth.
@Suite("Fast paths: conformance")
struct FastPathConformanceTests {
    @Test(
        "Int keys", arguments: RateLimitEngine.allCases, [FastPath.instants, .handles])
    func intKeys(engine: RateLimitEngine, path: FastPath) async throws {
        for scenario in ConformanceScenario.all(threadCounts: [2, 16], realClockThreadCounts: []) {
            try await engine.fastPathConformance(path: path) { $0 }.offloaded(scenario)
        }
    }

    /// Handles compare keys that are reference-counted and compared by content: in the lock-free
    /// engine, a stale handle's slot may hold another key's entry or one being reused.
    @Test("String keys through handles", arguments: RateLimitEngine.allCases)
    func stringKeys(engine: RateLimitEngine) async throws {
        for scenario in ConformanceScenario.all(threadCounts: [2, 16], realClockThreadCounts: []) {
            try await engine.fastPathConformance(path: .handles) {
                "client-\($0)-with-a-name-longer-than-fifteen-bytes"
            }
            .offloaded(scenario)
        }
    }
}

@Suite("Fast paths")
struct FastPathTests {
    static let policy = try! BucketPolicy(capacity: 10, refill: 2, every: .seconds(1))

    @Test("one reading serves many decisions, and a stale one is stricter", arguments: RateLimitEngine.allCases)
    func readings(engine: RateLimitEngine) throws {
        let clock = ManualClock()
        let limiter = try engine.make(policy: Self.policy, maxKeys: 64, clock: clock, keyType: Int.self)
        let early = limiter.now()
        #expect(early.nanoseconds == 0)
        try clock.advance(by: .seconds(5))
        for _ in 0..<10 { #expect(limiter.acquire(1, at: early).isAllowed) }
        #expect(!limiter.acquire(1, at: early).isAllowed)
        // Five seconds later the bucket has refilled — but not for a decision made with the old
        // reading: time never runs backwards for a bucket.
        let later = limiter.now()
        #expect(later.nanoseconds == 5_000_000_000)
        #expect(limiter.acquire(1, cost: 10, at: later).isAllowed)
        let stale = limiter.acquire(1, cost: 1, at: early)
        #expect(!stale.isAllowed)
        // Counted from the reading the decision was made with: the next token comes at 5.5 s.
        #expect(stale.retryAfter == .milliseconds(5_500))
    }

    @Test("a handle made before its key has a bucket, through eviction and return", arguments: RateLimitEngine.allCases)
    func handleSurvivesEviction(engine: RateLimitEngine) throws {
        let clock = ManualClock()
        let limiter = try engine.make(policy: Self.policy, maxKeys: 16, clock: clock, keyType: String.self)
        let handle = limiter.handle(for: "kept")
        #expect(limiter.statistics.trackedKeys == 0, "handle(for:) creates no bucket")
        #expect(limiter.acquire(handle, cost: 4).remaining == 6)
        // Flood the engine: every other key takes its whole bucket, so "kept" (owing 4 tokens)
        // goes when no full bucket is left.
        for flood in 0..<200 {
            _ = limiter.acquire("flood-\(flood)", cost: 10)
            #expect(limiter.acquire(handle, cost: 0).remaining == limiter.acquire("kept", cost: 0).remaining)
        }
        #expect(limiter.statistics.evictedBuckets > 0)
        // Whatever happened to its bucket, the handle's decisions are the key's.
        for cost in [1, 3, 0, 2] {
            let viaHandle = limiter.acquire(handle, cost: cost)
            let viaKey = limiter.acquire("kept", cost: 0)
            #expect(viaHandle.remaining == viaKey.remaining, "cost \(cost)")
        }
    }

    @Test("engines on one clock share instants")
    func sharedInstants() throws {
        let manual = ManualClock()
        let first = try AtomicRateLimiter<Int>(policy: Self.policy, clock: manual)
        let second = try MutexRateLimiter<Int>(policy: Self.policy, clock: manual)
        #expect(second.acquire(1, at: first.now()).isAllowed)
        let precise = try ShardedRateLimiter<Int>(policy: Self.policy, clock: MonotonicClock())
        let coarse = try AtomicRateLimiter<Int>(policy: Self.policy, clock: CoarseMonotonicClock())
        #expect(coarse.acquire(1, at: precise.now()).isAllowed)
        #expect(precise.acquire(1, at: coarse.now()).isAllowed)
    }

    @Test("an instant of another clock traps with a message", arguments: RateLimitEngine.allCases)
    func foreignInstant(engine: RateLimitEngine) async throws {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            [engine = engine as RateLimitEngine] in
            let policy = try BucketPolicy(capacity: 10, refill: 2, every: .seconds(1))
            let limiter = try engine.make(policy: policy, clock: ManualClock(), keyType: Int.self)
            let other = try engine.make(policy: policy, clock: ManualClock(), keyType: Int.self)
            _ = limiter.acquire(1, at: other.now())
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains("RateLimitInstant 0 ns was read from another clock"), "stderr: \(stderr)")
    }

    @Test("a manual clock's instant traps on an engine on the monotonic clock")
    func manualInstantOnMonotonicEngine() async throws {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let policy = try BucketPolicy(capacity: 10, refill: 2, every: .seconds(1))
            let manual = try AtomicRateLimiter<Int>(policy: policy, clock: ManualClock())
            let monotonic = try AtomicRateLimiter<Int>(policy: policy)
            _ = monotonic.acquire(1, at: manual.now())
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains("was read from another clock"), "stderr: \(stderr)")
    }

    @Test("handles of displaced keys, across growth", arguments: RateLimitEngine.allCases)
    func displacedHandles(engine: RateLimitEngine) throws {
        let clock = ManualClock()
        let limiter = try engine.make(policy: Self.policy, maxKeys: 4096, clock: clock, keyType: Int.self)
        for key in 0..<1000 { _ = limiter.acquire(key, cost: 1 + key % 3) }
        // At a load of up to 3/4 many keys sit past their home slot; their handles' hints say where.
        #expect(limiter.statistics.trackedKeys == 1000)
        let handles = (0..<1000).map { limiter.handle(for: $0) }
        for (key, handle) in handles.enumerated() {
            #expect(limiter.acquire(handle, cost: 1).remaining == 10 - (1 + key % 3) - 1, "key \(key)")
        }
        // Triple the keys: the tables grow and the hints point into smaller ones.
        for key in 1000..<3000 { _ = limiter.acquire(key) }
        for (key, handle) in handles.enumerated() {
            let viaHandle = limiter.acquire(handle, cost: 1)
            #expect(viaHandle.remaining == 10 - (1 + key % 3) - 2, "key \(key)")
            #expect(viaHandle.remaining == limiter.acquire(key, cost: 0).remaining)
        }
    }

    @Test("a handle of another engine traps with a message", arguments: RateLimitEngine.allCases)
    func foreignHandle(engine: RateLimitEngine) async throws {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            [engine = engine as RateLimitEngine] in
            let policy = try BucketPolicy(capacity: 10, refill: 2, every: .seconds(1))
            let limiter = try engine.make(policy: policy, keyType: Int.self)
            let other = try engine.make(policy: policy, keyType: Int.self)
            _ = limiter.acquire(other.handle(for: 1))
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains("BucketHandle was made by another engine"), "stderr: \(stderr)")
    }

    @Test("a negative cost through a fast path traps with a message", arguments: RateLimitEngine.allCases)
    func negativeCost(engine: RateLimitEngine) async throws {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            [engine = engine as RateLimitEngine] in
            let limiter = try engine.make(
                policy: try BucketPolicy(capacity: 10, refill: 2, every: .seconds(1)), keyType: Int.self)
            _ = limiter.acquire(limiter.handle(for: 1), cost: -2, at: limiter.now())
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains("invalid cost -2"), "stderr: \(stderr)")
    }
}
