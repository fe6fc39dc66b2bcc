import MetricsTestKit
import RateLimit
import Testing

@testable import RateLimitRedis

/// A Redis password never reaches an error or a log, whatever shape the URL or setting that
/// carries it has.
@Suite("Secrets never printed", .timeLimit(.minutes(3)))
struct RedactionTests {
    /// Malformed and well-formed URLs carrying the password `s3cret` (or its percent-encoding).
    static let urls = [
        "redis:/:s3cret@127.0.0.1:1", // one slash
        "redis:s3cret@127.0.0.1", // no slash
        "redis//:s3cret@127.0.0.1", // no colon after the scheme
        ":s3cret@127.0.0.1:6379", // no scheme
        "s3cret@127.0.0.1", // a bare password, no scheme
        "user:s3cret@127.0.0.1",
        "redis://user:s3cret@host:port", // a bad port after valid credentials
        "redis://:s3cret@host:0",
        "redis://:s3c@ret@host/db", // '@' in the password
        "redis://user:s3c:ret@host:99999", // ':' in the password
        "redis://:%73%33cret@host:0", // percent-encoded
        "redis://:s3cret%zz@host", // bad percent-encoding
        "redis://:s3cret@[::1", // IPv6 without ']'
        "redis://:s3cret@[::1]x",
        "redis://user:s3cret@[::1]:70000",
        "rediss://:s3cret@host",
        "http://user:s3cret@host",
        ":s3cret@host://x", // garbage before a "scheme"
        "redis://user:s3cret", // the password lost its "@host": a "port"
        "redis:/user:s3cret",
        "redis://:s3cret@", // no host
        "redis://:s3cret@host?timeout=1",
        "redis://:a://s3cret@host:0", // "://" inside the password
        "\u{0}:s3cret@\u{7F}",
        // Lost their "@host", and go on past a delimiter: masked to the end.
        "redis://user:ab/s3cret",
        "redis://:pa?s3cret",
        "redis://user:ab[s3cret",
        "redis://user:ab#s3cret",
        "redis://u:1234/s3cret", // a numeric start, then a "database"
    ]

    private static func leaks(_ text: String) -> Bool {
        text.contains("s3cret") || text.contains("s3c") || text.contains("%73%33cret")
    }

    @Test("URL errors never show the password, whatever the URL's shape", arguments: urls)
    func urlErrors(url: String) {
        do {
            _ = try RedisConfiguration(url: url)
            Issue.record("\(RedisConfiguration.redacted(url)) was accepted")
        } catch {
            #expect(error.code == .invalidConfiguration)
            #expect(!Self.leaks(error.message) && !Self.leaks("\(error)"), "\(error)")
            #expect(error.message.contains(RedisConfiguration.urlForm))
        }
        #expect(!Self.leaks(RedisConfiguration.redacted(url)), "\(RedisConfiguration.redacted(url))")
    }

    @Test(
        "redaction keeps what is not secret",
        arguments: [
            ("redis://user:s3cret@host:6379/2", "redis://user:***@host:6379/2"),
            ("redis://:s3cret@[::1]:6379", "redis://:***@[::1]:6379"),
            ("redis://s3cret@host", "redis://***@host"),
            ("redis://:p@ss@host", "redis://:***@host"),
            ("redis:/:s3cret@127.0.0.1:1", "***@127.0.0.1:1"),
            (":s3cret@127.0.0.1", "***@127.0.0.1"),
            ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
            ("redis://[::1]:6379", "redis://[::1]:6379"),
            ("redis://user:s3cret", "redis://user:***"),
            ("redis://user:s3/cret", "redis://user:***"),
            ("redis://127.0.0.1:abc/2", "redis://127.0.0.1:***"),
            ("garbage", "garbage"),
        ])
    func redacted(url: String, expected: String) {
        #expect(RedisConfiguration.redacted(url) == expected)
    }

    @Test("a host holding credentials is rejected, and neither the error nor the description shows the password")
    func hostWithCredentials() {
        var configuration = RedisConfiguration(password: "s3cret")
        configuration.host = "user:s3cret@10.0.0.5"
        #expect(!Self.leaks("\(configuration)"), "\(configuration)")
        #expect {
            _ = try RedisRateLimiter<String>(
                policy: try BucketPolicy(capacity: 1, refill: 1, every: .seconds(1)),
                configuration: configuration, failurePolicy: .failOpen, logger: quietLogger
            )
        } throws: { error in
            guard let error = error as? RateLimitError else { return false }
            return error.code == .invalidConfiguration && error.message.contains("invalid Redis host")
                && !Self.leaks(error.message)
        }
    }

    @Test("a limiter whose server rejects the password: no log line and no error shows it")
    func logsAndErrors() async throws {
        let server = try await FakeRedisServer(
            .script { _, command in
                command.first?.uppercased() == "AUTH"
                    ? .reply("-WRONGPASS invalid username-password pair or user is disabled.\r\n") : .reply("+OK\r\n")
            })
        defer { Task { await server.close() } }
        let logs = CapturedLogs()
        var configuration = try RedisConfiguration(url: "redis://limiter:s3c%40ret@127.0.0.1:\(server.port)/1")
        configuration.commandTimeout = beyondTimeLimit
        configuration.connectTimeout = beyondTimeLimit
        configuration.minimumReconnectDelay = .milliseconds(10)
        let limiter = try RedisRateLimiter<String>(
            policy: try BucketPolicy(capacity: 5, refill: 1, every: .seconds(1)),
            configuration: configuration, failurePolicy: .throwError, logger: logs.logger, metricsFactory: TestMetrics()
        )
        // The connection is refused at AUTH; every later decision fails and is logged.
        var thrown: [String] = []
        for _ in 0..<3 {
            do {
                _ = try await limiter.acquire("client")
            } catch {
                thrown.append("\(error)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        await #expect(throws: RateLimitError.self) { try await limiter.waitUntilConnected(timeout: .milliseconds(200)) }
        await limiter.shutdown()
        #expect(thrown.count == 3)
        #expect(logs.everything.contains { $0.contains("WRONGPASS") }, "the cause was not logged: \(logs.everything)")
        let leaked = (logs.everything + thrown + ["\(configuration)", "\(limiter.configuration)"]).filter {
            $0.contains("s3c") || $0.contains("ret@")
        }
        #expect(leaked.isEmpty, "\(leaked)")
    }
}
