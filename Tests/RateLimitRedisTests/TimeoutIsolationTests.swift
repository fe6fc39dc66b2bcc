import MetricsTestKit
import NIOCore
import NIOPosix
import RateLimit
import Testing

@testable import RateLimitRedis
@testable import RedisClient

/// A timed-out command fails alone: its late reply is read and dropped, the commands behind it
/// get their own replies on the same connection, and only timeouts in a row give the connection
/// up. "Late" is made by a gate the fake server waits on, opened only after the client's timeout
/// has fired — never by sleeping a tuned time.
@Suite("Timeout isolation", .timeLimit(.minutes(2)))
struct TimeoutIsolationTests {
    private func connect(port: Int, maximumConsecutiveTimeouts: Int) async throws -> RedisConnection {
        try await RedisConnection.connect(
            host: "127.0.0.1",
            port: port,
            handshake: .init(database: 0, scripts: []),
            maximumConsecutiveTimeouts: maximumConsecutiveTimeouts,
            on: MultiThreadedEventLoopGroup.singleton.next(),
            deadline: deadlineBeyondTimeLimit
        ).handedOffValue()
    }

    private func echo(_ text: String) -> ByteBuffer {
        var buffer = ByteBuffer()
        RESPEncoder.writeCommand(["ECHO", text], into: &buffer)
        return buffer
    }

    private func failure(_ future: EventLoopFuture<RESPValue>) async -> RedisClientError? {
        do {
            _ = try await future.handedOffValue()
            return nil
        } catch {
            return RedisClientError.wrapping(error)
        }
    }

    /// Echoes every command, except that `ECHO late-N` waits for gate N.
    private static func echoServer(gates: [FakeRedisServer.Gate]) async throws -> FakeRedisServer {
        try await FakeRedisServer(
            .script { _, command in
                let text = command.count > 1 ? command[1] : ""
                if text.hasPrefix("late-"), let index = Int(text.dropFirst(5)) {
                    return .replyWhenOpen(gates[index], FakeRedisServer.bulk(text))
                }
                return .reply(FakeRedisServer.bulk(text))
            })
    }

    // Deadlines: 100 ms for a request that must time out — its reply waits for a gate opened
    // only after that timeout is seen, so it cannot arrive in time however slow the machine —
    // and 60 s for requests that must be answered, far beyond any scheduling delay.

    @Test("a late reply fails only its request; later requests on the connection get their own replies")
    func lateReplyFailsOnlyItself() async throws {
        let gates = [FakeRedisServer.Gate(), FakeRedisServer.Gate()]
        let server = try await Self.echoServer(gates: gates)
        defer { Task { await server.close() } }
        // Two in a row would close it: the reply between the two timeouts must reset the count.
        let connection = try await self.connect(port: server.port, maximumConsecutiveTimeouts: 2)
        defer { connection.close() }
        for round in 0..<2 {
            // Submitted in this order, so written in this order: `next` waits behind `late`.
            let late = connection.send([self.echo("late-\(round)")], deadline: .now() + .milliseconds(100))[0]
            let next = connection.send([self.echo("next-\(round)")], deadline: deadlineBeyondTimeLimit)[0]
            let error = await self.failure(late)
            #expect(error?.reason == .timeout, "round \(round): \(String(describing: error))")
            gates[round].open()
            // The late reply comes first and is dropped; `next` gets its own.
            #expect(try await next.handedOffValue() == .bulkString("next-\(round)"), "round \(round)")
            #expect(
                try await connection.send(self.echo("after-\(round)"), deadline: deadlineBeyondTimeLimit)
                    == .bulkString("after-\(round)"))
        }
        #expect(connection.channel.isActive, "the connection was closed")
        #expect(server.connections == 1)
    }

    @Test("timeouts in a row close the connection at the configured count, not before")
    func consecutiveTimeoutsRecycle() async throws {
        let gate = FakeRedisServer.Gate() // never opened: the server never answers `late-0`
        let server = try await Self.echoServer(gates: [gate])
        defer { Task { await server.close() } }
        let connection = try await self.connect(port: server.port, maximumConsecutiveTimeouts: 3)
        defer { connection.close() }
        // Everything after the first request queues behind its reply, which never comes.
        for attempt in 0..<2 {
            let error = await self.failure(
                connection.send([self.echo("late-0")], deadline: .now() + .milliseconds(100))[0])
            #expect(error?.reason == .timeout, "attempt \(attempt): \(String(describing: error))")
        }
        // Nothing but the handler closes this connection, and it has decided on both timeouts.
        #expect(connection.channel.isActive, "closed after 2 timeouts with 3 allowed")
        let waiting = connection.send([self.echo("waiting")], deadline: deadlineBeyondTimeLimit)[0]
        let third = await self.failure(connection.send([self.echo("late-0")], deadline: .now() + .milliseconds(100))[0])
        #expect(third?.reason == .timeout)
        #expect(third?.message.contains("for 3 timeouts in a row") == true, "\(String(describing: third))")
        let dropped = await self.failure(waiting)
        #expect(dropped?.reason == .connection, "\(String(describing: dropped))")
        #expect(dropped?.message.contains("closed after 3 timeouts in a row") == true, "\(String(describing: dropped))")
        try await connection.closeFuture.handedOffValue()
    }

    @Test("one stall that expires many requests in flight counts as one timeout")
    func oneStallCountsOnce() async throws {
        let gate = FakeRedisServer.Gate() // never opened
        let server = try await Self.echoServer(gates: [gate])
        defer { Task { await server.close() } }
        // Two in a row close it: counted per request, the five below would.
        let connection = try await self.connect(port: server.port, maximumConsecutiveTimeouts: 2)
        defer { connection.close() }
        // One batch: all five are written in one event-loop task, before any timer can fire.
        let stalled = connection.send((0..<5).map { _ in self.echo("late-0") }, deadline: .now() + .milliseconds(100))
        for (index, request) in stalled.enumerated() {
            let error = await self.failure(request)
            #expect(error?.reason == .timeout, "request \(index): \(String(describing: error))")
            #expect(error?.message.contains("in a row") == false, "request \(index): \(String(describing: error))")
        }
        #expect(connection.channel.isActive, "closed by one stall")
        // A request written after that timeout, timing out too, is the second in a row.
        let second = await self.failure(
            connection.send([self.echo("late-0")], deadline: .now() + .milliseconds(100))[0])
        #expect(second?.message.contains("for 2 timeouts in a row") == true, "\(String(describing: second))")
        try await connection.closeFuture.handedOffValue()
    }

    @Test(
        "a limiter: one decision times out and the failure policy answers it; the next decisions come from Redis on the same connection"
    )
    func limiterKeepsItsConnection() async throws {
        let gate = FakeRedisServer.Gate()
        let evalshas = SharedCount()
        let server = try await FakeRedisServer(
            .script { _, command in
                if let answer = FakeRedisServer.handshakeAnswer(command) { return answer }
                evalshas.increment()
                // The first decision's reply waits for the gate; the others answer at once.
                return evalshas.current == 1
                    ? .replyWhenOpen(gate, FakeRedisServer.decisionReply(remaining: 9))
                    : .reply(FakeRedisServer.decisionReply(remaining: 8))
            })
        defer { Task { await server.close() } }
        let metrics = TestMetrics()
        var configuration = RedisConfiguration(host: "127.0.0.1", port: server.port)
        configuration.poolSize = 1
        // The held decision fails at this timeout whatever it is, so the test takes this long. The
        // answered ones need a loopback round trip within it: a few hops between event-loop
        // threads, never the cooperative pool that other suites can hold, each waiting at most
        // for the kernel to run every other runnable thread once, milliseconds per hop even
        // with a hundred runnable threads on two cores. 30 s is beyond that by orders of magnitude,
        // and within the time limit.
        configuration.commandTimeout = .seconds(30)
        configuration.connectTimeout = beyondTimeLimit
        let limiter = try RedisRateLimiter<String>(
            policy: try BucketPolicy(capacity: 10, refill: 1, every: .seconds(1)),
            configuration: configuration, failurePolicy: .failClosed, logger: quietLogger, metricsFactory: metrics
        )
        try await limiter.waitUntilConnected()
        let first = try await limiter.acquire("a")
        #expect(!first.isAllowed && first.retryAfterNanoseconds == s, "not the failure policy's answer: \(first)")
        gate.open()
        for attempt in 0..<5 {
            let decision = try await limiter.acquire("b")
            #expect(decision.isAllowed && decision.remaining == 8, "attempt \(attempt): \(decision)")
        }
        #expect(server.connections == 1)
        #expect(metrics.counterTotal(label: "ratelimit_redis_connections_opened_total") == 1)
        #expect(
            metrics.unavailable("timeout") == 1)
        #expect(metrics.counterTotal(label: "ratelimit_redis_connections_recycled_total") == 0)
        await limiter.shutdown()
    }
}
