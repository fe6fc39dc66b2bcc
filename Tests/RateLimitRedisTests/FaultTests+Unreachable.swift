import Foundation
import MetricsTestKit
import RateLimit
import RateLimitTesting
import Synchronization
import Testing

@testable import RateLimitRedis

// A server that is not there, never answers, or goes away during a decision; and key expiry.
extension FaultTests {
    /// "At once" is checked by cause, not by a stopwatch: with a command timeout longer than the
    /// suite's time limit, a decision that waited for Redis could only end by that limit, so every
    /// failure-policy decision counted with reason `connection` (and none with `timeout`) was made
    /// as soon as the refusal was known.
    @Test("nothing listening: the failure policy decides without waiting for the command timeout")
    func unreachable() async throws {
        let metrics = TestMetrics()
        let policy = try BucketPolicy(capacity: 10, refill: 1, every: .seconds(1))
        var configuration = RedisConfiguration(host: "127.0.0.1", port: try RedisServer.freePort())
        configuration.commandTimeout = beyondTimeLimit
        configuration.connectTimeout = beyondTimeLimit
        let limiter = try RedisRateLimiter<String>(
            policy: policy, configuration: configuration, failurePolicy: .failOpen, logger: quietLogger,
            metricsFactory: metrics)
        for _ in 0..<20 {
            let decision = try await limiter.acquire("k")
            #expect(decision.isAllowed && decision.remaining == 10)
        }
        #expect(
            metrics.unavailable("connection", policy: "open") == 20
                && metrics.unavailable("timeout", policy: "open") == 0)
        await #expect(throws: RateLimitError.self) {
            try await limiter.waitUntilConnected(timeout: .milliseconds(100))
        }
        await limiter.shutdown()
    }

    /// The decision ends at its own deadline: after it (a timer never fires early), and by it — a
    /// failure counted as a `timeout`, where the connection attempt it waited on, whose deadline
    /// is longer than the suite's time limit, could only have failed as a `connection`.
    @Test("a server that accepts and never answers: a decision waits for the command timeout, no longer")
    func blackHole() async throws {
        let server = try await FakeRedisServer(.silent)
        defer { Task { await server.close() } }
        let metrics = TestMetrics()
        let policy = try BucketPolicy(capacity: 10, refill: 1, every: .seconds(1))
        var configuration = RedisConfiguration(host: "127.0.0.1", port: server.port)
        configuration.commandTimeout = .milliseconds(150)
        configuration.connectTimeout = beyondTimeLimit
        let limiter = try RedisRateLimiter<String>(
            policy: policy, configuration: configuration, failurePolicy: .failClosed, logger: quietLogger,
            metricsFactory: metrics)
        let started = ContinuousClock.now
        let decision = try await limiter.acquire("k")
        let elapsed = ContinuousClock.now - started
        #expect(!decision.isAllowed && decision.retryAfterNanoseconds == s)
        #expect(elapsed >= configuration.commandTimeout, "took \(elapsed)")
        #expect(metrics.unavailable("timeout") == 1 && metrics.unavailable("connection") == 0)
        await limiter.shutdown()
    }

    @Test("shutdown while decisions are in flight: nothing hangs, later calls throw")
    func shutdownUnderLoad() async throws {
        let server = try await RedisServer()
        let limiter = try makeLimiter(
            server, try BucketPolicy(capacity: 1000, refill: 1, every: .seconds(1)), failurePolicy: .failOpen)
        try await limiter.waitUntilConnected()
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<16 {
                group.addTask {
                    for attempt in 0..<50 {
                        _ = try? await limiter.acquire("k\((task + attempt) % 5)")
                    }
                }
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(20))
                await limiter.shutdown()
            }
        }
        await #expect {
            _ = try await limiter.acquire("k")
        } throws: { error in
            (error as? RateLimitError)?.code == .unavailable
                && (error as? RateLimitError)?.message.contains("shut down") == true
        }
        await limiter.shutdown()
    }

    @Test("keys expire when the bucket would be full, and an expired key is a full bucket")
    func expiry() async throws {
        let server = try await RedisServer()
        let policy = try BucketPolicy(capacity: 3, refill: 1, every: .milliseconds(100))
        let limiter = try makeLimiter(server, policy)
        var reference = ReferenceBucket(policy: policy)
        var drained = ContinuousClock.now
        var reset: Int64 = 0
        for _ in 0..<3 {
            drained = ContinuousClock.now
            let (decision, used) = try await limiter.acquireReportingTime("k", cost: 1)
            #expect(decision == reference.acquire(cost: 1, at: used * 1000))
            reset = decision.resetAfterNanoseconds
        }
        guard case .integer(let ttl) = try await server.command(["PTTL", limiter.redisKey(for: "k")]) else {
            Issue.record("no TTL on the bucket")
            return
        }
        // The key lives until the bucket is full: resetAfter rounded up to whole milliseconds,
        // +1 ms for the expiry clock's rounding, less the time since the last request.
        let lifetime = (reset + 999_999) / 1_000_000 + 1
        let elapsedMs = (ContinuousClock.now - drained).saturatingNanoseconds / 1_000_000
        #expect(
            ttl <= lifetime && ttl >= lifetime - elapsedMs - 1,
            "PTTL \(ttl) ms for a key that should live \(lifetime) ms, \(elapsedMs) ms ago")
        try await Task.sleep(for: .milliseconds(450))
        #expect(
            try await server.command(["EXISTS", limiter.redisKey(for: "k")]) == .integer(0),
            "the full bucket's key was not removed")
        let (decision, used) = try await limiter.acquireReportingTime("k", cost: 1)
        #expect(decision == reference.acquire(cost: 1, at: used * 1000))
        #expect(decision.remaining == 2)
        await limiter.shutdown()
    }
}
