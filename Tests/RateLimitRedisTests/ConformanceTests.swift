import RateLimit
import RateLimitTesting
import Testing

@testable import RateLimitRedis

/// The conformance scenarios, in async form, against a real Redis.
///
/// Redis decides at its own clock, so exact comparisons need to know that clock. Two ways:
/// - **Scripted time**: the script runs at a time the test gives (in µs), so the deterministic
///   scenarios of `RateLimitTesting` run with their hand-computed values (moved onto whole
///   microseconds where they used finer steps) and every decision is also compared with a
///   `ReferenceBucket`.
/// - **Redis time**: the script reads `TIME` and returns the time it used; the test feeds that
///   time (µs × 1000 ns) to a `ReferenceBucket` and compares every field.
@Suite("Conformance against Redis", .enabled(if: RedisServer.isEnabled), .serialized, .timeLimit(.minutes(5)))
struct ConformanceTests {
    private func tutorial(_ mode: RefillMode) throws -> BucketPolicy {
        try BucketPolicy(capacity: 10, refill: 2, every: .seconds(1), mode: mode)
    }

    @Test(
        "burst-then-deny, refill, costs, peek, cost above capacity (scripted time)",
        arguments: [RefillMode.smooth, .stepped])
    func tutorialScenarios(mode: RefillMode) async throws {
        let server = try await RedisServer()
        let limiter = try makeLimiter(server, try self.tutorial(mode))
        defer { Task { await limiter.shutdown() } }

        // burst-then-deny
        var probe = Probe(limiter, key: "burst")
        for request in 1...10 {
            let reset = mode == .smooth ? Int64(request) * 500 * ms : Int64((request + 1) / 2) * s
            let decision = try await probe.acquire(1, "request \(request)")
            expectDecision(
                decision, allowed: true, remaining: 10 - request, retryAfter: 0, resetAfter: reset,
                "\(mode) request \(request)")
        }
        for request in 11...12 {
            let decision = try await probe.acquire(1, "request \(request)")
            expectDecision(
                decision, allowed: false, remaining: 0, retryAfter: mode == .smooth ? 500 * ms : s, resetAfter: 5 * s,
                "\(mode) request \(request)")
        }
        var other = Probe(limiter, key: "burst-other", startingAt: probe.now)
        expectDecision(try await other.acquire(), allowed: true, remaining: 9, "\(mode) another key is independent")

        // refill-whole-intervals
        probe = Probe(limiter, key: "whole")
        for _ in 1...10 { try await probe.acquire() }
        probe.advance(microseconds: 3 * sUs)
        for request in 1...6 {
            let reset = mode == .smooth ? Int64(4 + request) * 500 * ms : Int64((4 + request + 1) / 2) * s
            expectDecision(
                try await probe.acquire(), allowed: true, remaining: 6 - request, retryAfter: 0, resetAfter: reset,
                "\(mode) request \(request) after 3 s")
        }
        expectDecision(
            try await probe.acquire(), allowed: false, remaining: 0, retryAfter: mode == .smooth ? 500 * ms : s,
            "\(mode) 7th request after 3 s")

        // costs-above-one
        probe = Probe(limiter, key: "costs")
        expectDecision(
            try await probe.acquire(3), allowed: true, remaining: 7, resetAfter: mode == .smooth ? 1500 * ms : 2 * s,
            "\(mode) cost 3")
        expectDecision(
            try await probe.acquire(8), allowed: false, remaining: 7, retryAfter: mode == .smooth ? 500 * ms : s,
            "\(mode) cost 8 with 7 left")
        expectDecision(try await probe.acquire(7), allowed: true, remaining: 0, resetAfter: 5 * s, "\(mode) cost 7")
        expectDecision(try await probe.acquire(1), allowed: false, remaining: 0, "\(mode) empty")
        probe.advance(microseconds: 2 * sUs)
        expectDecision(try await probe.acquire(4), allowed: true, remaining: 0, "\(mode) cost 4 after 2 s")
        expectDecision(try await probe.acquire(1), allowed: false, remaining: 0, "\(mode) empty again")

        // peek: no key is created, and a peek takes nothing
        probe = Probe(limiter, key: "peek")
        expectDecision(
            try await probe.acquire(0), allowed: true, remaining: 10, retryAfter: 0, resetAfter: 0,
            "\(mode) peek at an absent key")
        #expect(
            try await server.command(["EXISTS", limiter.redisKey(for: "peek")]) == .integer(0), "a peek created a key")
        for _ in 1...4 { try await probe.acquire() }
        for look in 1...2 {
            expectDecision(
                try await probe.acquire(0), allowed: true, remaining: 6, retryAfter: 0, resetAfter: 2 * s,
                "\(mode) peek \(look) after 4 requests")
        }
        expectDecision(try await probe.acquire(), allowed: true, remaining: 5, "\(mode) a peek takes nothing")
        for _ in 1...5 { try await probe.acquire() }
        expectDecision(
            try await probe.acquire(0), allowed: true, remaining: 0, retryAfter: 0, resetAfter: 5 * s,
            "\(mode) peek at an empty bucket")

        // cost-above-capacity: denied, flagged, nothing created or changed
        probe = Probe(limiter, key: "above")
        expectDecision(
            try await probe.acquire(11), allowed: false, remaining: 10, retryAfter: .max, resetAfter: 0,
            exceedsCapacity: true, "\(mode) cost 11 on an absent key")
        #expect(
            try await server.command(["EXISTS", limiter.redisKey(for: "above")]) == .integer(0),
            "a request above the capacity created a key")
        for _ in 1...3 { try await probe.acquire() }
        let stored = try await server.command(["GET", limiter.redisKey(for: "above")])
        expectDecision(
            try await probe.acquire(Int.max), allowed: false, remaining: 7, retryAfter: .max,
            resetAfter: mode == .smooth ? 1500 * ms : 2 * s, exceedsCapacity: true,
            "\(mode) cost Int.max with 7 left"
        )
        #expect(
            try await server.command(["GET", limiter.redisKey(for: "above")]) == stored,
            "a denial changed the stored bucket")
        expectDecision(try await probe.acquire(0), allowed: true, remaining: 7, "\(mode) the bucket is unchanged")
        expectDecision(
            try await probe.acquire(10), allowed: false, remaining: 7, retryAfter: mode == .smooth ? 1500 * ms : 2 * s,
            "\(mode) cost 10 waits for a full bucket")
    }

    @Test("refill-partial-intervals (scripted time)")
    func refillPartialIntervals() async throws {
        let server = try await RedisServer()
        let stepped = try makeLimiter(server, try self.tutorial(.stepped), prefix: "stepped:")
        let smooth = try makeLimiter(server, try self.tutorial(.smooth), prefix: "smooth:")
        defer {
            Task {
                await stepped.shutdown()
                await smooth.shutdown()
            }
        }

        var probe = Probe(stepped, key: "k")
        for _ in 1...10 { try await probe.acquire() }
        probe.advance(microseconds: 999 * msUs)
        expectDecision(
            try await probe.acquire(), allowed: false, remaining: 0, retryAfter: ms, resetAfter: 4001 * ms,
            "stepped at 0.999 s")
        probe.advance(microseconds: msUs)
        expectDecision(try await probe.acquire(), allowed: true, remaining: 1, "stepped at 1 s, first")
        expectDecision(
            try await probe.acquire(), allowed: true, remaining: 0, resetAfter: 5 * s, "stepped at 1 s, second")
        expectDecision(try await probe.acquire(), allowed: false, remaining: 0, retryAfter: s, "stepped at 1 s, third")
        probe.advance(microseconds: 1500 * msUs)
        expectDecision(
            try await probe.acquire(), allowed: true, remaining: 1, resetAfter: 4500 * ms, "stepped at 2.5 s, first")
        expectDecision(
            try await probe.acquire(), allowed: true, remaining: 0, resetAfter: 4500 * ms, "stepped at 2.5 s, second")
        expectDecision(
            try await probe.acquire(), allowed: false, remaining: 0, retryAfter: 500 * ms, resetAfter: 4500 * ms,
            "stepped at 2.5 s")

        probe = Probe(smooth, key: "k")
        for _ in 1...10 { try await probe.acquire() }
        probe.advance(microseconds: 250 * msUs)
        expectDecision(
            try await probe.acquire(), allowed: false, remaining: 0, retryAfter: 250 * ms, resetAfter: 4750 * ms,
            "smooth at 0.25 s")
        probe.advance(microseconds: 250 * msUs)
        expectDecision(try await probe.acquire(), allowed: true, remaining: 0, resetAfter: 5 * s, "smooth at 0.5 s")
        expectDecision(
            try await probe.acquire(), allowed: false, remaining: 0, retryAfter: 500 * ms, "smooth at 0.5 s, again")
        probe.advance(microseconds: 750 * msUs)
        expectDecision(
            try await probe.acquire(), allowed: true, remaining: 0, resetAfter: 4750 * ms, "smooth at 1.25 s")
        expectDecision(
            try await probe.acquire(), allowed: false, remaining: 0, retryAfter: 250 * ms,
            "smooth at 1.25 s: half a token carried")
    }

    @Test("retry-and-reset-exact, fractional rates (scripted time)")
    func retryAndResetExact() async throws {
        let server = try await RedisServer()
        // Smooth, 7 tokens per millisecond: one token every 142,857.142857… ns.
        let sevenPerMs = try makeLimiter(
            server, try BucketPolicy(capacity: 3, refill: 7, every: .milliseconds(1)), prefix: "7ms:")
        defer { Task { await sevenPerMs.shutdown() } }
        var probe = Probe(sevenPerMs, key: "k")
        for (request, reset) in [(1, Int64(142_858)), (2, 285_715), (3, 428_572)] {
            expectDecision(
                try await probe.acquire(), allowed: true, remaining: 3 - request, retryAfter: 0, resetAfter: reset,
                "7/ms request \(request)")
        }
        expectDecision(
            try await probe.acquire(), allowed: false, remaining: 0, retryAfter: 142_858, resetAfter: 428_572,
            "7/ms 4th request")
        // Whole microseconds: 142 µs is 858 ns early, 143 µs is 142 ns late.
        probe.advance(microseconds: 142)
        expectDecision(
            try await probe.acquire(), allowed: false, remaining: 0, retryAfter: 858, resetAfter: 286_572,
            "7/ms 858 ns early")
        probe.advance(microseconds: 1)
        expectDecision(
            try await probe.acquire(), allowed: true, remaining: 0, retryAfter: 0, resetAfter: 428_429,
            "7/ms 142 ns late")

        // Stepped, 2 tokens every 3 ms, capacity 5.
        let stepped = try makeLimiter(
            server, try BucketPolicy(capacity: 5, refill: 2, every: .milliseconds(3), mode: .stepped),
            prefix: "2per3ms:")
        defer { Task { await stepped.shutdown() } }
        probe = Probe(stepped, key: "k")
        for (request, reset) in [(1, 3 * ms), (2, 3 * ms), (3, 6 * ms), (4, 6 * ms), (5, 9 * ms)] {
            expectDecision(
                try await probe.acquire(), allowed: true, remaining: 5 - request, retryAfter: 0, resetAfter: reset,
                "stepped request \(request)")
        }
        expectDecision(
            try await probe.acquire(), allowed: false, remaining: 0, retryAfter: 3 * ms, resetAfter: 9 * ms,
            "stepped 6th request")
        probe.advance(microseconds: 3 * msUs - 1)
        expectDecision(
            try await probe.acquire(), allowed: false, remaining: 0, retryAfter: 1000, resetAfter: 6 * ms + 1000,
            "stepped 1 µs early")
        probe.advance(microseconds: 1)
        expectDecision(
            try await probe.acquire(), allowed: true, remaining: 1, retryAfter: 0, resetAfter: 6 * ms,
            "stepped on the step, first")
        expectDecision(
            try await probe.acquire(), allowed: true, remaining: 0, retryAfter: 0, resetAfter: 9 * ms,
            "stepped on the step, second")
        expectDecision(
            try await probe.acquire(), allowed: false, remaining: 0, retryAfter: 3 * ms, resetAfter: 9 * ms,
            "stepped after the step")

        // fractional-rates-exact: runs earn exactly refill × time, no drift (shortened: one round
        // trip per request).
        let cases: [(BucketPolicy, Int64, Int64, Int)] = [
            (try BucketPolicy(capacity: 7, refill: 7, every: .milliseconds(1)), 137, 100 * msUs, 700),
            (try BucketPolicy(capacity: 14, refill: 7, every: .milliseconds(1), mode: .stepped), 137, 100 * msUs, 700),
            (try BucketPolicy(capacity: 1000, refill: 1000, every: .seconds(3)), 7 * msUs, 3 * sUs, 1000),
            (
                try BucketPolicy(capacity: 2000, refill: 1000, every: .seconds(3), mode: .stepped), 7 * msUs, 3 * sUs,
                1000
            ),
            (try BucketPolicy(capacity: 3, refill: 1, every: .microseconds(3)), 1, 3000, 1000),
        ]
        for (number, (policy, step, runTime, expected)) in cases.enumerated() {
            let limiter = try makeLimiter(server, policy, prefix: "fractional\(number):")
            defer { Task { await limiter.shutdown() } }
            let start: Int64 = 5_000_000
            for _ in 0..<policy.capacity { _ = try await limiter.acquire("k", cost: 1, atMicroseconds: start) }
            var admitted = 0
            var elapsed: Int64 = 0
            while elapsed < runTime {
                elapsed += min(step, runTime - elapsed)
                while try await limiter.acquire("k", cost: 1, atMicroseconds: start + elapsed).decision.isAllowed {
                    admitted += 1
                }
            }
            #expect(
                admitted == expected,
                "\(policy): \(runTime) µs after draining admitted \(admitted), expected exactly \(expected)")
        }
    }

    @Test("long-idle-gaps: a century between requests (scripted time)", arguments: [RefillMode.smooth, .stepped])
    func longIdleGaps(mode: RefillMode) async throws {
        let server = try await RedisServer()
        let limiter = try makeLimiter(server, try self.tutorial(mode))
        defer { Task { await limiter.shutdown() } }
        let century: Int64 = 100 * 365 * 86_400 * sUs
        var probe = Probe(limiter, key: "idle")
        for round in 1...2 {
            for _ in 1...10 { try await probe.acquire() }
            probe.advance(microseconds: century)
            for request in 1...10 {
                expectDecision(
                    try await probe.acquire(), allowed: true, remaining: 10 - request,
                    "\(mode) request \(request) after \(round * 100) idle years")
            }
            expectDecision(
                try await probe.acquire(), allowed: false, remaining: 0, retryAfter: mode == .smooth ? 500 * ms : s,
                "\(mode) 11th request after \(round * 100) idle years")
            probe.advance(microseconds: sUs)
            expectDecision(try await probe.acquire(2), allowed: true, remaining: 0, "\(mode) one second later")
        }
    }

    @Test(
        "clock-moving-backwards: the stored time never moves back (scripted time)",
        arguments: [RefillMode.smooth, .stepped])
    func clockMovingBackwards(mode: RefillMode) async throws {
        let server = try await RedisServer()
        let limiter = try makeLimiter(server, try self.tutorial(mode))
        defer { Task { await limiter.shutdown() } }
        let key = "backwards"
        for _ in 1...10 { _ = try await limiter.acquire(key, cost: 1, atMicroseconds: 10 * sUs) }
        var admitted = 10
        for (reading, label) in [(5 * sUs, "5 s before the drain"), (10 * sUs - 1, "1 µs before the drain")] {
            let (decision, used) = try await limiter.acquire(key, cost: 1, atMicroseconds: reading)
            #expect(
                !decision.isAllowed && decision.remaining == 0 && decision.retryAfterNanoseconds > 0,
                "\(mode) a reading \(label) admitted or reported tokens: \(decision)")
            #expect(used == 10 * sUs, "\(mode) a reading \(label) was used as \(used) µs; the anchor is 10 s")
        }
        if try await limiter.acquire(key, cost: 1, atMicroseconds: 10 * sUs + 500 * msUs).decision.isAllowed {
            admitted += 1
        }
        #expect(
            try await !limiter.acquire(key, cost: 1, atMicroseconds: 7 * sUs).decision.isAllowed,
            "\(mode) a reading of 7 s after one of 10.5 s admitted a request")
        while try await limiter.acquire(key, cost: 1, atMicroseconds: 11 * sUs).decision.isAllowed { admitted += 1 }
        #expect(
            admitted == 12, "\(mode) admitted \(admitted) by 11 s with readings going backwards; exactly 12 expected")
    }

    /// The in-memory engines' "stale reading meets a drop" cannot happen here: Redis serialises
    /// every decision at its own `TIME`, and a bucket expires only at the moment it is full,
    /// computed from the same reading (`PXAT`). Checked with `PEXPIRETIME` after each of 13
    /// admissions that a bucket of 40 grants whatever the time (their costs sum to 26), on a policy
    /// with fractional nanoseconds per token; should the machine stall until a key expires, `TIME`
    /// must then be past the moment it was full.
    @Test("a bucket never expires before it is full (Redis time)", arguments: [RefillMode.smooth, .stepped])
    func expiryNeverPrecedesFull(mode: RefillMode) async throws {
        let server = try await RedisServer()
        let policy = try BucketPolicy(capacity: 40, refill: 3, every: .microseconds(7_777_777), mode: mode)
        let limiter = try makeLimiter(server, policy, prefix: "expiry:")
        defer { Task { await limiter.shutdown() } }
        for request in 0..<13 {
            let (decision, microseconds) = try await limiter.acquireReportingTime("client", cost: 1 + request % 3)
            try #require(
                decision.isAllowed,
                "\(mode) request \(request) denied by a bucket of 40 after at most 26 tokens: \(decision)")
            let fullAtNanoseconds = Int128(microseconds) * 1000 + Int128(decision.resetAfterNanoseconds)
            guard
                case .integer(let expiresAtMilliseconds) = try await server.command(["PEXPIRETIME", "expiry:{client}"])
            else {
                Issue.record("PEXPIRETIME did not answer with an integer")
                return
            }
            if expiresAtMilliseconds >= 0 {
                #expect(
                    Int128(expiresAtMilliseconds) * 1_000_000 >= fullAtNanoseconds,
                    "\(mode) request \(request): the bucket expires at \(expiresAtMilliseconds) ms but is full only at \(fullAtNanoseconds) ns"
                )
            } else {
                // Gone (-2): only allowed once Redis's clock is past the moment it was full.
                guard case .array(let parts?) = try await server.command(["TIME"]), parts.count == 2,
                    let seconds = parts[0].string.flatMap({ Int128($0) }),
                    let micros = parts[1].string.flatMap({ Int128($0) })
                else {
                    Issue.record("TIME did not answer with two numbers")
                    return
                }
                let now = (seconds * 1_000_000 + micros) * 1000
                #expect(
                    now >= fullAtNanoseconds,
                    "\(mode) request \(request): the bucket vanished at \(now) ns, before it was full at \(fullAtNanoseconds) ns"
                )
            }
        }
    }
}
