import RateLimit
import Testing

@testable import RateLimitRedis
@testable import RedisClient

/// URL parsing, configuration and policy validation: bad input is a clear error, never a crash.
@Suite("Configuration")
struct ConfigurationTests {
    @Test("valid URLs")
    func validURLs() throws {
        var configuration = try RedisConfiguration(url: "redis://127.0.0.1")
        #expect(configuration.host == "127.0.0.1" && configuration.port == 6379 && configuration.database == 0)
        #expect(configuration.username == nil && configuration.password == nil)

        configuration = try RedisConfiguration(url: "REDIS://redis.internal:6380/2")
        #expect(configuration.host == "redis.internal" && configuration.port == 6380 && configuration.database == 2)

        configuration = try RedisConfiguration(url: "redis://:s3cret@10.0.0.5")
        #expect(configuration.username == nil && configuration.password == "s3cret")

        configuration = try RedisConfiguration(url: "redis://limiter:p%40ss:w/rd@[::1]:7000/15")
        #expect(configuration.username == "limiter" && configuration.password == "p@ss:w/rd")
        #expect(configuration.host == "::1" && configuration.port == 7000 && configuration.database == 15)
        #expect(configuration.description == "redis://limiter:***@[::1]:7000/15")

        configuration = try RedisConfiguration(url: "redis://host/")
        #expect(configuration.database == 0)
    }

    @Test(
        "invalid URLs name the problem and the accepted form, never the password",
        arguments: [
            ("127.0.0.1:6379", "no scheme"),
            ("http://127.0.0.1", "unsupported scheme \"http\""),
            ("rediss://127.0.0.1", "TLS (rediss://) is not supported"),
            ("redis://", "no host"),
            ("redis://:6379", "no host"),
            ("redis://host:0", "port \"0\" is not in 1...65535"),
            ("redis://host:65536", "port \"65536\""),
            ("redis://host:port", "port that is not a decimal number (not shown) is not in 1...65535"),
            ("redis://host/db", "database \"db\""),
            ("redis://host/-1", "database \"-1\""),
            ("redis://host/99999999999", "database \"99999999999\""),
            ("redis://host?timeout=1", "query parameters"),
            ("redis://s3cret@host", "credentials without ':'"),
            ("redis://user:@host", "empty password"),
            ("redis://:pa%zzss@host", "bad percent-encoding in the password"),
            ("redis://[::1", "'[' without ']'"),
            ("redis://[::1]x", "unexpected \"x\""),
            ("redis://ho st", "invalid Redis host"),
        ])
    func invalidURLs(url: String, problem: String) {
        #expect {
            _ = try RedisConfiguration(url: url)
        } throws: { error in
            guard let error = error as? RateLimitError, error.code == .invalidConfiguration else { return false }
            return error.message.contains(problem) && error.message.contains(RedisConfiguration.urlForm)
                && !error.message.contains("s3cret") && !error.message.contains("pa%zzss")
        }
    }

    @Test("out-of-range settings are rejected with the allowed range")
    func settings() throws {
        let policy = try BucketPolicy(capacity: 10, refill: 1, every: .seconds(1))
        func rejection(_ change: (inout RedisConfiguration) -> Void) -> String? {
            var configuration = RedisConfiguration()
            change(&configuration)
            do {
                let limiter = try RedisRateLimiter<String>(
                    policy: policy, configuration: configuration, failurePolicy: .failOpen, logger: quietLogger)
                Task { await limiter.shutdown() }
                return nil
            } catch {
                return error.code == .invalidConfiguration ? error.message : "wrong code: \(error)"
            }
        }
        #expect(rejection { $0.commandTimeout = .zero }?.contains("commandTimeout 0.0 seconds: must be in") == true)
        #expect(rejection { $0.commandTimeout = .seconds(-1) }?.contains("commandTimeout") == true)
        #expect(rejection { $0.connectTimeout = .seconds(7200) }?.contains("connectTimeout") == true)
        #expect(rejection { $0.poolSize = 0 }?.contains("poolSize 0: must be in 1...256") == true)
        #expect(rejection { $0.poolSize = 1000 }?.contains("poolSize 1000") == true)
        #expect(rejection { $0.port = 70000 }?.contains("port 70000: must be in 1...65535") == true)
        #expect(rejection { $0.database = -1 }?.contains("database -1") == true)
        #expect(rejection { $0.keyPrefix = "rl:{x}:" }?.contains("keyPrefix") == true)
        #expect(rejection { $0.host = "" }?.contains("host") == true)
        #expect(rejection { $0.username = "u" }?.contains("without a password") == true)
        #expect(rejection { $0.minimumReconnectDelay = .seconds(5) }?.contains("maximumReconnectDelay") == true)
        #expect(
            rejection { $0.maximumConsecutiveTimeouts = 0 }?.contains(
                "maximumConsecutiveTimeouts 0: must be in 1...1000") == true)
        #expect(
            rejection { $0.maximumReplyLineLength = 10 }?.contains(
                "maximumReplyLineLength 10: must be in 256...1048576 bytes") == true)
        #expect(
            rejection { $0.maximumReplyBulkLength = 1 << 30 }?.contains(
                "maximumReplyBulkLength 1073741824: must be in 64...67108864 bytes") == true)
        #expect(
            rejection { $0.maximumReplyArrayLength = 6 }?.contains(
                "maximumReplyArrayLength 6: must be in 7...1048576 elements") == true)
        #expect(
            rejection { $0.maximumReplyDepth = 0 }?.contains("maximumReplyDepth 0: must be in 1...32 levels") == true)
        #expect(rejection { $0.host = "user:pw@host" }?.contains("without spaces, '/' or '@'") == true)
        #expect(rejection { _ in } == nil)
        // The defaults: sized to what the limiter receives.
        let defaults = RedisConfiguration()
        #expect(defaults.maximumConsecutiveTimeouts == 3)
        #expect(
            defaults.replyLimits
                == RESPLimits(maximumLineLength: 4096, maximumBulkLength: 65536, maximumArrayCount: 16, maximumDepth: 2)
        )

        #expect {
            _ = try RedisRateLimiter<String>(
                policy: policy, configuration: RedisConfiguration(), failurePolicy: .failClosed(retryAfter: .zero),
                logger: quietLogger)
        } throws: { error in
            (error as? RateLimitError)?.message.contains("invalid failClosed retryAfter") == true
        }
        #expect {
            _ = try RedisFailurePolicy<String>.named("sometimes", fallbackPolicy: policy)
        } throws: { error in
            (error as? RateLimitError)?.message
                == "invalid Redis failure policy \"sometimes\": must be one of open, closed, fallback, error"
        }
        for name in ["open", "closed", "fallback", "error"] {
            #expect(try RedisFailurePolicy<String>.named(name, fallbackPolicy: policy).name == name)
        }
    }

    @Test("policies beyond Lua's exact integers are rejected, naming the value and the range")
    func policyLimits() throws {
        // Smooth, one tick per ns: the window is capacity × 1 day = 4.32e15 ≤ 2^52 for 52 days.
        #expect(
            try RedisBucketParameters(policy: BucketPolicy(capacity: 52, refill: 1, every: .seconds(86_400)))
                .windowTicks == 52 * 86_400_000_000_000)
        #expect {
            _ = try RedisBucketParameters(policy: BucketPolicy(capacity: 53, refill: 1, every: .seconds(86_400)))
        } throws: { error in
            guard let error = error as? RateLimitError, error.code == .invalidPolicy else { return false }
            return error.message.contains("invalid capacity 53") && error.message.contains("capacity must be in 1...52")
        }
        // Stepped: one step of 60 days is already too long.
        #expect {
            _ = try RedisBucketParameters(
                policy: BucketPolicy(capacity: 1, refill: 1, every: .seconds(60 * 86_400), mode: .stepped))
        } throws: { error in
            (error as? RateLimitError)?.message.contains("interval must be in 1 ns...4503599627370496 ns") == true
        }
        // A huge refill rate with a long interval: M = 2^32 ticks per ns.
        #expect(throws: RateLimitError.self) {
            _ = try RedisBucketParameters(
                policy: BucketPolicy(capacity: 3 << 32, refill: 1 << 32, every: .milliseconds(100), mode: .stepped))
        }
        // The tutorial policy is far from the limit.
        let tutorial = try RedisBucketParameters(policy: BucketPolicy(capacity: 10, refill: 2, every: .seconds(1)))
        #expect(tutorial.scriptArguments == [0, 10, 2, 1_000_000_000, 1, 500_000_000, 5_000_000_000])
        let stepped = try RedisBucketParameters(
            policy: BucketPolicy(capacity: 10, refill: 2, every: .seconds(1), mode: .stepped))
        #expect(stepped.scriptArguments == [1, 10, 2, 1_000_000_000, 2, 0, 10_000_000_000])
    }

    @Test("keys: the prefix, then the client key as a cluster hash tag")
    func keyLayout() async throws {
        let policy = try BucketPolicy(capacity: 10, refill: 1, every: .seconds(1))
        var configuration = RedisConfiguration()
        configuration.keyPrefix = "api:v1:"
        let limiter = try RedisRateLimiter<Int>(
            policy: policy, configuration: configuration, failurePolicy: .failOpen, logger: quietLogger)
        #expect(limiter.redisKey(for: 42) == "api:v1:{42}")
        let custom = try RedisRateLimiter<[String]>(
            policy: policy, configuration: configuration, failurePolicy: .failOpen,
            keyName: { $0.joined(separator: "/") }, logger: quietLogger)
        #expect(custom.redisKey(for: ["tenant", "user"]) == "api:v1:{tenant/user}")
        await limiter.shutdown()
        await custom.shutdown()
    }

    @Test("a negative cost throws invalidCost before touching Redis")
    func negativeCost() async throws {
        let policy = try BucketPolicy(capacity: 10, refill: 1, every: .seconds(1))
        let limiter = try RedisRateLimiter<String>(
            url: "redis://127.0.0.1:1", policy: policy, failurePolicy: .failOpen, logger: quietLogger)
        defer { Task { await limiter.shutdown() } }
        await #expect {
            _ = try await limiter.acquire("a", cost: -1)
        } throws: { error in
            guard let error = error as? RateLimitError else { return false }
            return error.code == .invalidCost
                && error.message.hasPrefix("invalid cost -1: must be in 0...9223372036854775807")
        }
    }
}
