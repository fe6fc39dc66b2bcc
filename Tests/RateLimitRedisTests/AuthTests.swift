import MetricsTestKit
import RateLimit
import Testing

@testable import RateLimitRedis

/// `AUTH` and `SELECT` from a `redis://` URL, against servers that require a password or an ACL
/// user.
@Suite("AUTH and database selection", .enabled(if: RedisServer.isEnabled), .timeLimit(.minutes(3)))
struct AuthTests {
    private let policy = try! BucketPolicy(capacity: 5, refill: 1, every: .seconds(60))

    /// A limiter for `url`, with test timeouts (the machine may be busy, or under TSan).
    private func limiter(_ url: String) throws -> RedisRateLimiter<String> {
        var configuration = try RedisConfiguration(url: url)
        configuration.commandTimeout = beyondTimeLimit
        configuration.connectTimeout = beyondTimeLimit
        return try RedisRateLimiter<String>(
            policy: self.policy, configuration: configuration, failurePolicy: .throwError, logger: quietLogger)
    }

    @Test("password and database from the URL")
    func passwordAndDatabase() async throws {
        let server = try await RedisServer(extraArguments: ["--requirepass", "pa ss@word"], password: "pa ss@word")
        let limiter = try self.limiter("redis://:pa%20ss%40word@127.0.0.1:\(server.port)/3")
        #expect(try await limiter.acquire("client").remaining == 4)
        let key = limiter.redisKey(for: "client")
        #expect(
            try await server.command(["EXISTS", key], database: 3) == .integer(1), "the bucket is not in database 3")
        #expect(
            try await server.command(["EXISTS", key], database: 0) == .integer(0), "the bucket leaked into database 0")
        await limiter.shutdown()
    }

    @Test("an ACL user name and password")
    func aclUser() async throws {
        let server = try await RedisServer(
            extraArguments: ["--requirepass", "admin", "--user", "limiter", "on", ">pw1", "~ratelimit:*", "+@all"],
            password: "admin"
        )
        let limiter = try self.limiter("redis://limiter:pw1@127.0.0.1:\(server.port)")
        #expect(try await limiter.acquire("client").remaining == 4)
        await limiter.shutdown()
    }

    @Test("a wrong password: the failure policy decides, the cause is logged, the password is not")
    func wrongPassword() async throws {
        let server = try await RedisServer(extraArguments: ["--requirepass", "right"], password: "right")
        let logs = CapturedLogs()
        let metrics = TestMetrics()
        var configuration = try RedisConfiguration(url: "redis://:wrong-secret@127.0.0.1:\(server.port)")
        // The decision waits for the refused handshake, however slow the machine.
        configuration.commandTimeout = beyondTimeLimit
        let limiter = try RedisRateLimiter<String>(
            policy: self.policy, configuration: configuration, failurePolicy: .failClosed, logger: logs.logger,
            metricsFactory: metrics
        )
        let decision = try await limiter.acquire("client")
        #expect(!decision.isAllowed && decision.retryAfterNanoseconds == 1_000_000_000)
        #expect(metrics.counterTotal(label: "ratelimit_redis_connection_failures_total") >= 1)
        let warnings = logs.messages(at: .warning)
        #expect(warnings.contains("Cannot connect to Redis"), "\(warnings)")
        #expect(!"\(configuration)".contains("wrong-secret"))
        await limiter.shutdown()
    }
}
