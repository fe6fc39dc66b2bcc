import NIOCore
import NIOPosix
import Testing

@testable import RateLimitRedis
@testable import RedisClient

/// The connection layer against misbehaving peers (closed sockets, garbage, short replies,
/// silence) and against the real server (every reply type, pipelining, binary safety).
///
/// Deadlines that are not the subject of a test lie beyond the time limit, and none is checked
/// with a stopwatch: which deadline ended a request shows in the error it failed with.
@Suite("RESP connection", .timeLimit(.minutes(2)))
struct RESPConnectionTests {
    private func connect(
        port: Int, timeout: TimeAmount = .seconds(600), scripts: [(String, String)] = [],
        limits: RESPLimits = RESPLimits()
    ) -> EventLoopFuture<RedisConnection> {
        RedisConnection.connect(
            host: "127.0.0.1",
            port: port,
            handshake: .init(database: 0, scripts: scripts),
            parser: RESPParser(limits: limits),
            on: MultiThreadedEventLoopGroup.singleton.next(),
            deadline: .now() + timeout
        )
    }

    private func command(_ arguments: [String]) -> ByteBuffer {
        var buffer = ByteBuffer()
        RESPEncoder.writeCommand(arguments, into: &buffer)
        return buffer
    }

    private func clientError(_ body: () async throws -> Void) async -> RedisClientError? {
        do {
            try await body()
            return nil
        } catch {
            return RedisClientError.wrapping(error)
        }
    }

    @Test("a peer that closes at once: the handshake fails, nothing hangs")
    func closedOnAccept() async throws {
        let server = try await FakeRedisServer(.closeOnAccept)
        defer { Task { await server.close() } }
        let error = await self.clientError {
            _ = try await self.connect(port: server.port, scripts: [(RedisBucketScript.source, RedisBucketScript.sha1)])
                .handedOffValue()
        }
        #expect(error?.reason == .connection, "\(String(describing: error))")
    }

    /// At once: the connect deadline lies beyond the time limit, and the error is the refusal.
    @Test("nothing listening: connection refused at once, reported as a connection failure")
    func refused() async throws {
        let port = try RedisServer.freePort()
        let error = await self.clientError { _ = try await self.connect(port: port).handedOffValue() }
        #expect(error?.reason == .connection)
        #expect(
            error?.message.contains("cannot connect") == true && error?.message.contains("refused") == true,
            "\(String(describing: error))")
    }

    @Test("a short reply then a closed socket fails the request", arguments: ["+PON", "$10\r\nabc", "*2\r\n:1\r\n"])
    func shortReplyThenClose(reply: String) async throws {
        let server = try await FakeRedisServer(.reply(reply, thenClose: true))
        defer { Task { await server.close() } }
        let connection = try await self.connect(port: server.port).handedOffValue()
        let error = await self.clientError {
            _ = try await connection.send(self.command(["PING"]), deadline: deadlineBeyondTimeLimit)
        }
        #expect(error?.reason == .protocol || error?.reason == .connection, "\(String(describing: error))")
    }

    @Test(
        "malformed bytes fail the request and close the connection",
        arguments: ["?what\r\n", ":abc\r\n", "$-7\r\n", "+OK\rX"])
    func malformedReply(reply: String) async throws {
        let server = try await FakeRedisServer(.reply(reply, thenClose: false))
        defer { Task { await server.close() } }
        let connection = try await self.connect(port: server.port).handedOffValue()
        let error = await self.clientError {
            _ = try await connection.send(self.command(["PING"]), deadline: deadlineBeyondTimeLimit)
        }
        #expect(error?.reason == .protocol, "\(String(describing: error))")
        try await connection.closeFuture.handedOffValue()
        // Later requests fail at once.
        let later = await self.clientError {
            _ = try await connection.send(self.command(["PING"]), deadline: deadlineBeyondTimeLimit)
        }
        #expect(later?.reason == .protocol || later?.reason == .connection)
    }

    @Test("a reply nobody asked for is a protocol error")
    func unsolicitedReply() async throws {
        let server = try await FakeRedisServer(.reply("+OK\r\n+EXTRA\r\n", thenClose: false))
        defer { Task { await server.close() } }
        let connection = try await self.connect(port: server.port).handedOffValue()
        let first = try await connection.send(self.command(["PING"]), deadline: deadlineBeyondTimeLimit)
        #expect(first == .simpleString("OK"))
        try await connection.closeFuture.handedOffValue()
    }

    @Test("a silent peer: requests time out; the third stall in a row closes the connection", .timeLimit(.minutes(2)))
    func silentPeer() async throws {
        let server = try await FakeRedisServer(.silent)
        defer { Task { await server.close() } }
        let connection = try await self.connect(port: server.port).handedOffValue()
        let started = ContinuousClock.now
        // One batch: both written in one event-loop task, before any timer can fire — one stall.
        let stalled = connection.send(
            [self.command(["PING"]), self.command(["PING"])], deadline: .now() + .milliseconds(100))
        for (index, request) in stalled.enumerated() {
            let error = await self.clientError { _ = try await request.handedOffValue() }
            #expect(
                error?.reason == .timeout && error?.message.contains("in a row") == false,
                "request \(index): \(String(describing: error))")
        }
        // Neither fails before its deadline (a timer never fires early).
        let elapsed = ContinuousClock.now - started
        #expect(elapsed >= .milliseconds(100), "took \(elapsed)")
        #expect(connection.channel.isActive)
        // Each later request is written after the previous timeout: one more stall each.
        let second = await self.clientError {
            _ = try await connection.send(self.command(["PING"]), deadline: .now() + .milliseconds(100))
        }
        #expect(
            second?.reason == .timeout && second?.message.contains("in a row") == false, "\(String(describing: second))"
        )
        #expect(connection.channel.isActive)
        let third = await self.clientError {
            _ = try await connection.send(self.command(["PING"]), deadline: .now() + .milliseconds(100))
        }
        #expect(
            third?.reason == .timeout && third?.message.contains("for 3 timeouts in a row") == true,
            "\(String(describing: third))")
        try await connection.closeFuture.handedOffValue()
    }

    /// The deadline that ended it shows in the error: the handshake's replies, or on a machine too
    /// slow to connect in 150 ms the connection itself.
    @Test("a silent peer during the handshake: connect fails at the connect deadline")
    func silentHandshake() async throws {
        let server = try await FakeRedisServer(.silent)
        defer { Task { await server.close() } }
        let error = await self.clientError {
            _ = try await self.connect(
                port: server.port, timeout: .milliseconds(150),
                scripts: [(RedisBucketScript.source, RedisBucketScript.sha1)]
            ).handedOffValue()
        }
        // NIO names a connect that missed its deadline "Connect timeout (… ns)".
        let message = error?.message.lowercased() ?? ""
        #expect(
            error?.reason == .connection
                && (message.contains("handshake") && message.contains("before the command timeout")
                    || message.contains("connect timeout")),
            "\(String(describing: error))")
    }

    @Test("against redis-server: every reply type, binary-safe values", .enabled(if: RedisServer.isEnabled))
    func realServer() async throws {
        let redis = try await RedisServer()
        // A 100 kB value: above the default bulk cap, so this connection raises it.
        let connection = try await self.connect(
            port: redis.port, limits: RESPLimits(maximumBulkLength: 1 << 20)
        ).handedOffValue()
        defer { connection.close() }
        let deadline = deadlineBeyondTimeLimit
        func send(_ arguments: [String]) async throws -> RESPValue {
            try await connection.send(self.command(arguments), deadline: deadline)
        }
        #expect(try await send(["PING"]) == .simpleString("PONG"))
        #expect(try await send(["GET", "missing"]) == .bulkString(nil))
        var binary = ByteBuffer()
        let value: [UInt8] = [0, 13, 10, 255, 36, 42] + Array(repeating: 7, count: 100_000)
        RESPEncoder.writeArrayHeader(count: 3, into: &binary)
        RESPEncoder.writeBulkString("SET", into: &binary)
        RESPEncoder.writeBulkString("bin", into: &binary)
        RESPEncoder.writeBulkString(value, into: &binary)
        #expect(try await connection.send(binary, deadline: deadline) == .simpleString("OK"))
        #expect(try await send(["GET", "bin"]) == .bulkString(value))
        #expect(try await send(["INCRBY", "n", "-5"]) == .integer(-5))
        #expect(try await send(["NOSUCHCOMMAND"]).errorCode == "ERR")
        #expect(try await send(["EVALSHA", String(repeating: "0", count: 40), "0"]).errorCode == "NOSCRIPT")
        #expect(
            try await send(["EVAL", "return {1, 'two', {3, false}, redis.error_reply('E x')}", "0"])
                == .array([.integer(1), .bulkString("two"), .array([.integer(3), .bulkString(nil)]), .error("E x")]))
        #expect(
            try await send(["SCRIPT", "LOAD", RedisBucketScript.source]) == .bulkString(RedisBucketScript.sha1),
            "the Swift SHA-1 differs from Redis's")
    }

    @Test(
        "against redis-server: 2,000 concurrent pipelined commands each get their own reply",
        .enabled(if: RedisServer.isEnabled))
    func pipelining() async throws {
        let redis = try await RedisServer()
        let connection = try await self.connect(port: redis.port).handedOffValue()
        defer { connection.close() }
        let replies = try await withThrowingTaskGroup(of: (Int, RESPValue).self) { group in
            for index in 0..<2000 {
                group.addTask {
                    (
                        index,
                        try await connection.send(
                            self.command(["ECHO", "value-\(index)"]), deadline: deadlineBeyondTimeLimit)
                    )
                }
            }
            var replies: [Int: RESPValue] = [:]
            for try await (index, reply) in group { replies[index] = reply }
            return replies
        }
        #expect(replies.count == 2000)
        #expect(replies.allSatisfy { index, reply in reply == .bulkString("value-\(index)") })
    }
}
