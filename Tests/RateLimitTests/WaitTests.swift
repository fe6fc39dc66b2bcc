import RateLimit
import RateLimitTesting
import Testing

/// `wait` on a ``ManualClock``: waiters wake only when the test moves the clock, so order and rate
/// are checked exactly, with no real sleeping.
@Suite("Waiting for tokens")
struct WaitTests {
    static func limiter(
        _ engine: RateLimitEngine, capacity: Int = 1, perSecond: Int = 10, clock: some RateLimitClock
    ) throws -> any ReservingRateLimiter<Int> {
        let policy = try BucketPolicy(capacity: capacity, refill: perSecond, every: .seconds(1))
        let limiter = try engine.make(policy: policy, maxKeys: 64, clock: clock, keyType: Int.self)
        return try #require(limiter as? any ReservingRateLimiter<Int>)
    }

    /// What a waiter saw when it returned.
    struct Served: Sendable {
        var waiter: Int
        var clockReading: Int64
        var decision: RateLimitDecision
    }

    @Test(
        "50 waiters on one key at 10 per second: served in order, one per 100 ms", arguments: RateLimitEngine.allCases)
    func fiftyWaitersInOrder(engine: RateLimitEngine) async throws {
        let clock = ManualClock()
        let limiter = try Self.limiter(engine, clock: clock)
        let (served, continuation) = AsyncStream.makeStream(of: Served.self)
        var iterator = served.makeAsyncIterator()
        // Each waiter reserves before the next task is even created, so reservation order is
        // waiter order: the first is served at once (its result arrives before the second
        // starts); each later one is asleep on the clock before the next starts.
        var tasks: [Task<Void, any Error>] = []
        for waiter in 0..<50 {
            let sleepers = clock.sleeperCount
            tasks.append(
                Task {
                    let decision = try await limiter.wait(7)
                    continuation.yield(
                        Served(waiter: waiter, clockReading: clock.monotonicNanoseconds(), decision: decision))
                })
            if waiter == 0 {
                let first = try #require(await iterator.next())
                #expect(first.waiter == 0 && first.clockReading == 0 && first.decision.isAllowed)
            } else {
                while clock.sleeperCount == sleepers { await Task.yield() }
            }
        }
        for turn in 1..<50 {
            try clock.advance(by: .milliseconds(100))
            // Exactly the waiter whose turn it is wakes: every other one's time is still ahead.
            let next = try #require(await iterator.next())
            #expect(next.waiter == turn, "turn \(turn) went to waiter \(next.waiter)")
            #expect(next.clockReading == Int64(turn) * 100_000_000)
            #expect(next.decision.isAllowed && next.decision.remaining == 0)
        }
        #expect(clock.sleeperCount == 0)
        for task in tasks { try await task.value }
        // The next caller queues behind all fifty.
        #expect(limiter.acquireSynchronously(7).retryAfter == .milliseconds(100))
    }

    @Test(
        "a wait longer than the timeout throws at once, naming the wait, and takes nothing",
        arguments: RateLimitEngine.allCases)
    func timeout(engine: RateLimitEngine) async throws {
        let clock = ManualClock()
        let limiter = try Self.limiter(engine, clock: clock)
        _ = try await limiter.wait(1)
        let error = await #expect(throws: RateLimitError.self) {
            try await limiter.wait(1, timeout: .milliseconds(99))
        }
        #expect(error?.code == .wouldExceedTimeout)
        #expect(error?.message == "waiting for 1 token(s) would take 100 ms, more than the timeout 99 ms")
        #expect(limiter.reserve(1, maxWait: .milliseconds(100))?.delay == .milliseconds(100))
    }

    @Test("costs that no wait serves are errors", arguments: RateLimitEngine.allCases)
    func invalidCosts(engine: RateLimitEngine) async throws {
        let limiter = try Self.limiter(engine, capacity: 3, clock: ManualClock())
        for cost in [-1, 4] {
            let error = await #expect(throws: RateLimitError.self) { try await limiter.wait(1, cost: cost) }
            #expect(error?.code == .invalidCost, "cost \(cost)")
            #expect(error?.message.contains("\(cost)") == true)
        }
        #expect(limiter.acquireSynchronously(1, cost: 3).isAllowed)
    }

    @Test("a cancelled waiter throws and gives its turn back", arguments: RateLimitEngine.allCases)
    func cancellation(engine: RateLimitEngine) async throws {
        let clock = ManualClock()
        let limiter = try Self.limiter(engine, clock: clock)
        _ = try await limiter.wait(1)
        let waiter = Task { try await limiter.wait(1) }
        while clock.sleeperCount == 0 { await Task.yield() }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(clock.sleeperCount == 0)
        // Its reservation was the latest and its time had not come: the turn is free again.
        #expect(limiter.reserve(1, maxWait: .seconds(1))?.delay == .milliseconds(100))
    }

    @Test("on the real clock, a waiter returns no earlier than its turn", arguments: RateLimitEngine.allCases)
    func realClock(engine: RateLimitEngine) async throws {
        let clock = MonotonicClock()
        let limiter = try Self.limiter(engine, capacity: 1, perSecond: 50, clock: clock)
        _ = limiter.acquireSynchronously(1)
        let reservation = try #require(limiter.reserve(1, maxWait: .seconds(1)))
        #expect(reservation.delayNanoseconds > 0 && reservation.delayNanoseconds <= 20_000_000)
        try await limiter.sleep(untilNanoseconds: reservation.readyAtNanoseconds)
        #expect(clock.monotonicNanoseconds() >= reservation.readyAtNanoseconds)
        // `wait` sleeps the same way.
        _ = try await limiter.wait(1)
        #expect(clock.monotonicNanoseconds() >= reservation.readyAtNanoseconds + 20_000_000)
    }
}
