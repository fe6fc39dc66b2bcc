import MetricsTestKit
import NIOCore
import NIOPosix
import RateLimit
import Testing

@testable import RateLimitRedis
@testable import RedisClient

/// A server on loopback that answers with replies far over the caps — an array of a million
/// elements, a bulk string of a gigabyte — followed by real data. The caller gets a clear error
/// naming the value and the cap, the failure policy answers, and the client buffers no more than
/// its cap: counted by the decoders, not timed and not sampled from resident memory.
@Suite("Hostile replies", .timeLimit(.minutes(2)))
struct HostileReplyTests {
    /// The hostile replies, each with the text its error must contain.
    static let hostile: [(reply: String, message: String)] = [
        (
            "*1000000\r\n" + String(repeating: ":1\r\n", count: 1_000_000),
            "array length 1000000: must be -1 or in 0...16 (RedisConfiguration.maximumReplyArrayLength)"
        ),
        (
            "$1000000000\r\n" + String(repeating: "x", count: 1 << 20),
            "bulk string length 1000000000: must be -1 or in 0...65536 (RedisConfiguration.maximumReplyBulkLength)"
        ),
    ]

    /// What the decoders may buffer between reads with the default caps.
    static let cap = RESPLimits().maximumBufferedBytes

    @Test(
        "a connection: the request fails with the cap's error, the connection closes, nothing big is read or buffered",
        arguments: 0..<2)
    func connection(hostileIndex index: Int) async throws {
        let (reply, message) = Self.hostile[index]
        let server = try await FakeRedisServer(.reply(reply, thenClose: false))
        defer { Task { await server.close() } }
        let statistics = RESPDecoderStatistics()
        let connection = try await RedisConnection.connect(
            host: "127.0.0.1",
            port: server.port,
            handshake: .init(database: 0, scripts: []),
            parser: RESPParser(statistics: statistics),
            on: MultiThreadedEventLoopGroup.singleton.next(),
            deadline: deadlineBeyondTimeLimit
        ).handedOffValue()
        var ping = ByteBuffer()
        RESPEncoder.writeCommand(["PING"], into: &ping)
        // No deadline can pass first: the failure must be the cap's protocol error.
        var error: RedisClientError?
        do {
            _ = try await connection.send(ping, deadline: deadlineBeyondTimeLimit)
        } catch let caught {
            error = caught
        }
        #expect(error?.reason == .protocol, "\(String(describing: error))")
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
        try await connection.closeFuture.handedOffValue()
        // Only the header was read: every later byte was refused, none parsed.
        #expect(statistics.bytesExamined < 64, "examined \(statistics.bytesExamined) bytes")
    }

    @Test(
        "a limiter: the failure policy answers, the error names the value and the cap, only headers are read",
        arguments: 0..<2)
    func limiter(hostileIndex index: Int) async throws {
        let (reply, message) = Self.hostile[index]
        let server = try await FakeRedisServer(
            .script { _, command in
                FakeRedisServer.handshakeAnswer(command) ?? .reply(reply)
            })
        defer { Task { await server.close() } }
        var configuration = RedisConfiguration(host: "127.0.0.1", port: server.port)
        // The answer must be the cap's error, never a timeout.
        configuration.commandTimeout = beyondTimeLimit
        configuration.connectTimeout = beyondTimeLimit
        configuration.poolSize = 1
        let policy = try BucketPolicy(capacity: 10, refill: 1, every: .seconds(1))
        let statistics = RESPDecoderStatistics()
        let metrics = TestMetrics()
        let logs = CapturedLogs()
        let closed = try RedisRateLimiter<String>(
            policy: policy, configuration: configuration, failurePolicy: .failClosed, keyName: { $0 },
            logger: logs.logger, metricsFactory: metrics, replyStatistics: statistics
        )
        try await closed.waitUntilConnected()
        let decision = try await closed.acquire("client")
        #expect(
            !decision.isAllowed && decision.retryAfterNanoseconds == s, "not the failure policy's answer: \(decision)")
        #expect(
            metrics.unavailable("protocol") == 1)
        #expect(logs.everything.contains { $0.contains(message) }, "the cause was not logged: \(logs.everything)")
        await closed.shutdown()

        // Under throwError the caller sees the same cause.
        let throwing = try RedisRateLimiter<String>(
            policy: policy, configuration: configuration, failurePolicy: .throwError, keyName: { $0 },
            logger: quietLogger, metricsFactory: TestMetrics(), replyStatistics: statistics
        )
        try await throwing.waitUntilConnected()
        await #expect {
            _ = try await throwing.acquire("client")
        } throws: { error in
            guard let error = error as? RateLimitError else { return false }
            return error.code == .unavailable && error.message.contains("protocol") && error.message.contains(message)
        }
        await throwing.shutdown()
        // Two handshakes (a SHA-1 each) and two refused headers: a few hundred bytes at most.
        #expect(statistics.bytesExamined < 1024, "examined \(statistics.bytesExamined) bytes")
    }
}
