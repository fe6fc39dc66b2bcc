import MetricsTestKit
import RateLimit
import RedisTestSupport
import Testing

@testable import RateLimitRedis

/// A bucket key holding something the script never writes — `inf` and `nan` (which Lua's
/// `tonumber` accepts), garbage, a key of another type — is replaced by a full bucket on the
/// next decision, logged as a warning and counted, instead of failing that key until it expires.
@Suite("Corrupt buckets", .enabled(if: RedisServer.isEnabled), .timeLimit(.minutes(3)))
struct CorruptBucketTests {
    enum Corruption: String, CaseIterable, Sendable {
        case inf, nan, negativeInf, garbage, empty, infDebt, nanAnchor, negativeDebt, hugeAnchor, farFutureAnchor, hash,
            list, set
    }

    /// Stores `corruption` under `key`, through the real server.
    private func corrupt(_ key: String, _ corruption: Corruption, on server: RedisServer) async throws {
        let value: String
        switch corruption {
        case .inf: value = "inf"
        case .nan: value = "nan"
        case .negativeInf: value = "-inf"
        case .garbage: value = "abc"
        case .empty: value = ""
        case .infDebt: value = "1000:inf"
        case .nanAnchor: value = "nan:0"
        case .negativeDebt: value = "1000:-5"
        case .hugeAnchor: value = "99999999999999999999:0"
        case .farFutureAnchor:
            // An hour past Redis's clock, for a bucket whose window is 10 minutes.
            guard case .array(let parts?) = try await server.command(["TIME"]), parts.count == 2,
                let seconds = parts[0].string.flatMap({ Int64($0) }),
                let micros = parts[1].string.flatMap({ Int64($0) })
            else { throw TestFailure("TIME answered unexpectedly") }
            value = "\(seconds * 1_000_000 + micros + 3_600_000_000):0"
        case .hash:
            #expect(try await server.command(["HSET", key, "field", "value"]) == .integer(1))
            return
        case .list:
            #expect(try await server.command(["RPUSH", key, "x"]) == .integer(1))
            return
        case .set:
            #expect(try await server.command(["SADD", key, "x"]) == .integer(1))
            return
        }
        #expect(try await server.command(["SET", key, value]) == .simpleString("OK"))
    }

    @Test(
        "the next decision succeeds with a full bucket, the counter and a warning say so",
        arguments: Corruption.allCases)
    func replaced(corruption: Corruption) async throws {
        let server = try await RedisServer()
        let metrics = TestMetrics()
        let logs = CapturedLogs()
        var configuration = server.configuration(prefix: "corrupt:")
        configuration.poolSize = 1
        // Five tokens, one every two minutes: nothing refills during the test.
        let limiter = try RedisRateLimiter<String>(
            policy: try BucketPolicy(capacity: 5, refill: 1, every: .seconds(120)),
            configuration: configuration, failurePolicy: .throwError, logger: logs.logger, metricsFactory: metrics
        )
        let key = limiter.redisKey(for: "client")
        try await self.corrupt(key, corruption, on: server)
        // throwError: a failure would throw, so these decisions are Redis's.
        let first = try await limiter.acquire("client")
        #expect(first.isAllowed && first.remaining == 4, "\(corruption): \(first)")
        #expect(metrics.counterTotal(label: "ratelimit_redis_corrupt_buckets_total") == 1)
        #expect(
            logs.messages(at: .warning).contains { $0.contains("replaced by a full bucket") },
            "\(logs.messages(at: .warning))")
        // The key now holds a valid bucket: the next decision uses it and counts nothing.
        let second = try await limiter.acquire("client")
        #expect(second.isAllowed && second.remaining == 3, "\(corruption): \(second)")
        #expect(metrics.counterTotal(label: "ratelimit_redis_corrupt_buckets_total") == 1)
        #expect(try await server.command(["TYPE", key]) == .simpleString("string"))
        #expect(metrics.counterTotal(label: "ratelimit_redis_unavailable_total") == 0)
        await limiter.shutdown()
    }

    @Test("a peek at a corrupt bucket removes the value and reports a full bucket")
    func peek() async throws {
        let server = try await RedisServer()
        let metrics = TestMetrics()
        let limiter = try RedisRateLimiter<String>(
            policy: try BucketPolicy(capacity: 5, refill: 1, every: .seconds(120)),
            configuration: server.configuration(prefix: "corrupt:"), failurePolicy: .throwError, logger: quietLogger,
            metricsFactory: metrics
        )
        let key = limiter.redisKey(for: "client")
        try await self.corrupt(key, .inf, on: server)
        let peek = try await limiter.acquire("client", cost: 0)
        #expect(peek.isAllowed && peek.remaining == 5)
        #expect(metrics.counterTotal(label: "ratelimit_redis_corrupt_buckets_total") == 1)
        // A peek writes nothing, and an absent key is a full bucket: the value is gone.
        #expect(try await server.command(["EXISTS", key]) == .integer(0))
        await limiter.shutdown()
    }

    /// A well-formed value whose debt exceeds the policy's window — written under another policy
    /// with the same prefix, or by someone else — would deny the key for its whole length (here
    /// about 104 days); it counts as the window instead: the bucket is empty, not frozen.
    @Test("a debt above the window counts as an empty bucket, not a frozen one")
    func debtAboveTheWindow() async throws {
        let server = try await RedisServer()
        let metrics = TestMetrics()
        let limiter = try RedisRateLimiter<String>(
            policy: try BucketPolicy(capacity: 5, refill: 1, every: .seconds(120)),
            configuration: server.configuration(prefix: "corrupt:"), failurePolicy: .throwError, logger: quietLogger,
            metricsFactory: metrics
        )
        let key = limiter.redisKey(for: "client")
        guard case .array(let parts?) = try await server.command(["TIME"]), parts.count == 2,
            let seconds = parts[0].string.flatMap({ Int64($0) }), let micros = parts[1].string.flatMap({ Int64($0) })
        else { throw TestFailure("TIME answered unexpectedly") }
        #expect(
            try await server.command(["SET", key, "\(seconds * 1_000_000 + micros):9007199254740000"])
                == .simpleString("OK"))
        let decision = try await limiter.acquire("client")
        // Empty: the next token is at most one refill interval away (less by the time elapsed
        // since the value was written), never the value's 104 days.
        #expect(!decision.isAllowed && decision.remaining == 0, "\(decision)")
        #expect(decision.retryAfter > .zero && decision.retryAfter <= .seconds(120), "\(decision)")
        #expect(decision.resetAfter <= .seconds(600), "\(decision)")
        #expect(metrics.counterTotal(label: "ratelimit_redis_corrupt_buckets_total") == 0)
        await limiter.shutdown()
    }
}
