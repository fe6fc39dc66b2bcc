import MetricsTestKit
import RateLimit
import RedisTestSupport
import Testing

@testable import RateLimitRedis
@testable import RedisClient

/// Error replies that mean "this server cannot serve you now" — `READONLY` after a failover,
/// `LOADING`, `MASTERDOWN`, `OOM` — and timeouts in a row replace the connection, counted by
/// reason; other error replies leave it in use.
@Suite("Connection recycling", .timeLimit(.minutes(2)))
struct RecycleTests {
    /// A limiter with one connection on `server`, failing closed. Generous timeouts: these
    /// tests are about which connection answers, not how fast.
    private func limiter(
        _ server: FakeRedisServer, metrics: TestMetrics, logs: CapturedLogs,
        configure: (inout RedisConfiguration) -> Void = { _ in }
    ) throws -> RedisRateLimiter<String> {
        var configuration = RedisConfiguration(host: "127.0.0.1", port: server.port)
        configuration.poolSize = 1
        configuration.commandTimeout = beyondTimeLimit
        configuration.connectTimeout = beyondTimeLimit
        configuration.minimumReconnectDelay = .milliseconds(10)
        configuration.maximumReconnectDelay = .milliseconds(100)
        configure(&configuration)
        return try RedisRateLimiter<String>(
            policy: try BucketPolicy(capacity: 10, refill: 1, every: .seconds(1)),
            configuration: configuration, failurePolicy: .failClosed, logger: logs.logger, metricsFactory: metrics
        )
    }

    /// Asks until a decision comes from the fake Redis (allowed, 8 left) rather than from the
    /// failure policy; `false` only at the suite's time limit.
    private func untilRedisDecides(_ limiter: RedisRateLimiter<String>) async throws -> Bool {
        try await pollUntil {
            let decision = try await limiter.acquire("k")
            return decision.isAllowed && decision.remaining == 8
        }
    }

    @Test(
        "an error reply that means the server cannot serve: the connection is replaced and counted",
        arguments: [
            ("READONLY You can't write against a read only replica.", "readonly"),
            ("LOADING Redis is loading the dataset in memory", "loading"),
            ("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.", "masterdown"),
            ("OOM command not allowed when used memory > 'maxmemory'.", "oom"),
        ])
    func recycledOnErrorReply(error: String, reason: String) async throws {
        // The first connection answers every decision with the error; later ones decide.
        let server = try await FakeRedisServer(
            .script { connection, command in
                FakeRedisServer.handshakeAnswer(command)
                    ?? .reply(connection == 0 ? "-\(error)\r\n" : FakeRedisServer.decisionReply(remaining: 8))
            })
        defer { Task { await server.close() } }
        let metrics = TestMetrics()
        let logs = CapturedLogs()
        let limiter = try self.limiter(server, metrics: metrics, logs: logs)
        try await limiter.waitUntilConnected()
        let decision = try await limiter.acquire("k")
        #expect(
            !decision.isAllowed && decision.retryAfterNanoseconds == s, "not the failure policy's answer: \(decision)")
        #expect(
            metrics.unavailable("server") == 1)
        #expect(
            metrics.counterTotal(label: "ratelimit_redis_connections_recycled_total", dimensions: [("reason", reason)])
                == 1)
        #expect(try await self.untilRedisDecides(limiter), "no decision from the replacement connection")
        // Exactly one replacement: the recycled connection left the rotation at once.
        #expect(server.connections == 2)
        #expect(metrics.counterTotal(label: "ratelimit_redis_connections_recycled_total") == 1)
        #expect(logs.messages(at: .warning).contains("Replacing a Redis connection"))
        await limiter.shutdown()
    }

    @Test("any other error reply fails its decision and leaves the connection in use")
    func otherErrorsKeepTheConnection() async throws {
        let evalshas = SharedCount()
        let server = try await FakeRedisServer(
            .script { _, command in
                if let answer = FakeRedisServer.handshakeAnswer(command) { return answer }
                evalshas.increment()
                return .reply(
                    evalshas.current == 1
                        ? "-ERR Error running script: boom\r\n" : FakeRedisServer.decisionReply(remaining: 8))
            })
        defer { Task { await server.close() } }
        let metrics = TestMetrics()
        let limiter = try self.limiter(server, metrics: metrics, logs: CapturedLogs())
        try await limiter.waitUntilConnected()
        let failed = try await limiter.acquire("k")
        #expect(!failed.isAllowed && failed.retryAfterNanoseconds == s)
        let decided = try await limiter.acquire("k")
        #expect(decided.isAllowed && decided.remaining == 8, "\(decided)")
        #expect(server.connections == 1)
        #expect(metrics.counterTotal(label: "ratelimit_redis_connections_recycled_total") == 0)
        await limiter.shutdown()
    }

    @Test("timeouts in a row replace the connection, counted as reason timeouts")
    func recycledAfterTimeouts() async throws {
        let gate = FakeRedisServer.Gate() // never opened: the first connection never decides
        let server = try await FakeRedisServer(
            .script { connection, command in
                FakeRedisServer.handshakeAnswer(command)
                    ?? (connection == 0
                        ? .replyWhenOpen(gate, FakeRedisServer.decisionReply(remaining: 9))
                        : .reply(FakeRedisServer.decisionReply(remaining: 8)))
            })
        defer { Task { await server.close() } }
        let metrics = TestMetrics()
        let limiter = try self.limiter(server, metrics: metrics, logs: CapturedLogs()) { configuration in
            configuration.maximumConsecutiveTimeouts = 2
            configuration.commandTimeout = .milliseconds(200)
        }
        try await limiter.waitUntilConnected()
        // Both time out whatever the machine's speed (no reply ever comes); the second closes.
        for _ in 0..<2 {
            let decision = try await limiter.acquire("k")
            #expect(!decision.isAllowed && decision.retryAfterNanoseconds == s)
        }
        #expect(
            metrics.counterTotal(
                label: "ratelimit_redis_connections_recycled_total", dimensions: [("reason", "timeouts")]) >= 1)
        #expect(try await self.untilRedisDecides(limiter), "no decision from the replacement connection")
        #expect(server.connections >= 2)
        await limiter.shutdown()
    }

    /// Redis 7 answers a script whose `redis.call` failed with the inner error's code; Redis 6.2
    /// (the oldest supported, for `PXAT`) wraps it in `ERR Error running script`.
    @Test(
        "error replies that retire a connection, as Redis 6.2 and 7 phrase them",
        arguments: [
            ("READONLY You can't write against a read only replica.", RedisRecycleReason?.some(.readonly)),
            ("READONLY You can't write against a read only replica. script: 7a1b..., on @user_script:98.", .readonly),
            (
                "ERR Error running script (call to f_7a1b...): @user_script:98: @user_script: 98: -READONLY You can't write against a read only replica.",
                .readonly
            ),
            (
                "ERR Error running script (call to f_7a1b...): @user_script:98: -OOM command not allowed when used memory > 'maxmemory'.",
                .oom
            ),
            ("LOADING Redis is loading the dataset in memory", .loading),
            ("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.", .masterdown),
            ("OOM command not allowed when used memory > 'maxmemory'.", .oom),
            (
                "ERR Error running script (call to f_7a1b...): @user_script:12: user_script:12: attempt to compare nil with number",
                nil
            ),
            ("ERR wrong number of arguments for 'evalsha' command", nil),
            ("NOSCRIPT No matching script. Please use EVAL.", nil),
            ("BUSY Redis is busy running a script.", nil),
            ("ERR unknown command '-READONLY '", nil),
        ]
    )
    func recycleReasons(message: String, expected: RedisRecycleReason?) {
        #expect(RedisRecycleReason(reply: .error(message)) == expected)
    }
}
