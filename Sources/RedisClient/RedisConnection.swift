import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// One TCP connection to Redis, ready for commands: connected, authenticated, on the right
/// database, with the scripts it will run loaded.
///
/// Commands may be sent from any thread, concurrently, and are pipelined. They go through an
/// *outbox*: a sender appends its request under a lock and, only if no drain is pending yet,
/// schedules one on the event loop. Under load, one drain task writes many requests with a
/// single flush, so the per-request cost is a lock and an append rather than an event-loop task
/// and a system call. A connection is never reopened: when it closes, the pool replaces it.
package final class RedisConnection: Sendable {
    /// The NIO channel.
    let channel: any Channel
    private let handler: NIOLoopBound<RedisChannelHandler>
    private let outbox = NIOLockedValueBox(Outbox())
    /// See ``RedisRequest/Sink``.
    private let handOff = NIOLock()

    private struct Outbox {
        var requests: [RedisRequest] = []
        var drainScheduled = false
    }

    private init(channel: any Channel, handler: NIOLoopBound<RedisChannelHandler>) {
        self.channel = channel
        self.handler = handler
    }

    /// Completes when the connection has closed, for whatever reason.
    var closeFuture: EventLoopFuture<Void> {
        self.channel.closeFuture
    }

    /// Sends one command (already RESP-encoded) and waits for its reply.
    ///
    /// Throws a ``RedisClientError``: `.timeout` when no reply arrives by `deadline` (only this
    /// request fails; its late reply is dropped), `.connection` or `.protocol` when the connection
    /// fails first.
    /// An error *reply* (`-ERR …`) is a successful ``RESPValue/error(_:)``.
    package func send(_ command: ByteBuffer, deadline: NIODeadline) async throws(RedisClientError) -> RESPValue {
        let result: Result<RESPValue, any Error>
        do {
            result = .success(
                try await withUnsafeThrowingContinuation { continuation in
                    self.submit([
                        RedisRequest(
                            command: command, sink: .continuation(continuation, handOff: self.handOff),
                            deadline: deadline)
                    ])
                }
            )
        } catch {
            result = .failure(error)
        }
        self.handOff.withLock {}
        do {
            return try result.get()
        } catch {
            throw RedisClientError.wrapping(error)
        }
    }

    /// Sends several commands back to back — nothing from other senders in between — and returns
    /// their replies in order.
    package func send(_ commands: [ByteBuffer], deadline: NIODeadline) -> [EventLoopFuture<RESPValue>] {
        let promises = commands.map { _ in self.channel.eventLoop.makePromise(of: RESPValue.self) }
        self.submit(zip(commands, promises).map { RedisRequest(command: $0, sink: .promise($1), deadline: deadline) })
        return promises.map(\.futureResult)
    }

    private func submit(_ requests: [RedisRequest]) {
        let schedule = self.outbox.withLockedValue { outbox -> Bool in
            outbox.requests.append(contentsOf: requests)
            guard !outbox.drainScheduled else { return false }
            outbox.drainScheduled = true
            return true
        }
        if schedule {
            self.channel.eventLoop.execute { self.drain() }
        }
    }

    /// On the event loop: hands everything in the outbox to the handler, which flushes once.
    private func drain() {
        let batch = self.outbox.withLockedValue { outbox -> [RedisRequest] in
            outbox.drainScheduled = false
            var batch: [RedisRequest] = []
            swap(&batch, &outbox.requests)
            return batch
        }
        self.handler.value.write(batch)
    }

    /// Closes the connection, failing any waiting request.
    func close() {
        self.channel.close(promise: nil)
    }

    /// Retires the connection: it closes once no request waits on it, letting those in flight
    /// finish.
    func closeWhenIdle() {
        self.channel.eventLoop.execute {
            // Requests already submitted (by callers that picked this connection before the pool
            // retired it) are written first, so they finish here instead of failing as recycled.
            self.drain()
            self.handler.value.closeWhenIdle()
        }
    }

    // MARK: Opening

    /// What a new connection does before it is handed out.
    package struct Handshake: Sendable {
        /// `AUTH` credentials, if any.
        package var username: String?
        package var password: String?
        /// `SELECT`ed when not 0.
        package var database: Int
        /// Loaded with `SCRIPT LOAD`, each checked against its expected SHA-1.
        package var scripts: [(source: String, sha1: String)]

        package init(
            username: String? = nil,
            password: String? = nil,
            database: Int,
            scripts: [(source: String, sha1: String)]
        ) {
            self.username = username
            self.password = password
            self.database = database
            self.scripts = scripts
        }
    }

    /// `host:port`, with brackets around an IPv6 address: how messages and logs name a server.
    package static func endpoint(host: String, port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Opens a connection to `host:port` and runs the handshake, all before `deadline`.
    ///
    /// The host name is resolved anew on every call, so a replacement connection follows DNS
    /// (a failover that moved the name). `parser` is the fresh parser replies start from, with
    /// the caps to apply; `maximumConsecutiveTimeouts` and `onRecycle` are the channel
    /// handler's (see ``RedisChannelHandler``).
    ///
    /// The future fails with a ``RedisClientError`` of reason `.connection` (refused, timed out,
    /// authentication rejected, …); the channel is closed in that case.
    static func connect(
        host: String,
        port: Int,
        handshake: Handshake,
        parser: RESPParser = RESPParser(),
        maximumConsecutiveTimeouts: Int = 3,
        onRecycle: (@Sendable (RedisRecycleReason) -> Void)? = nil,
        on eventLoop: any EventLoop,
        deadline: NIODeadline,
        attempt: RedisConnectAttempt? = nil
    ) -> EventLoopFuture<RedisConnection> {
        let endpoint = Self.endpoint(host: host, port: port)
        let remaining = max(deadline - .now(), .milliseconds(1))
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(remaining)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(RESPDecoder(parser: parser)))
                    try channel.pipeline.syncOperations.addHandler(
                        RedisChannelHandler(
                            endpoint: endpoint, maximumConsecutiveTimeouts: maximumConsecutiveTimeouts,
                            onRecycle: onRecycle)
                    )
                }
            }
        return bootstrap.connect(host: host, port: port)
            .flatMapErrorThrowing { error in
                throw RedisClientError(.connection, "cannot connect to \(endpoint): \(error)")
            }
            .flatMap { channel in
                if let attempt, !attempt.register(channel) {
                    channel.close(promise: nil)
                    return channel.eventLoop.makeFailedFuture(
                        RedisClientError(.shutdown, "connection attempt to \(endpoint) abandoned"))
                }
                let connection: RedisConnection
                do {
                    let handler = try channel.pipeline.syncOperations.handler(type: RedisChannelHandler.self)
                    connection = RedisConnection(
                        channel: channel, handler: NIOLoopBound(handler, eventLoop: channel.eventLoop))
                } catch {
                    channel.close(promise: nil)
                    return channel.eventLoop.makeFailedFuture(RedisClientError(.connection, "\(endpoint): \(error)"))
                }
                return connection.runHandshake(handshake, endpoint: endpoint, deadline: deadline)
                    .map { connection }
                    .flatMapError { error in
                        channel.close(promise: nil)
                        return channel.eventLoop.makeFailedFuture(error)
                    }
            }
    }

    private func runHandshake(_ handshake: Handshake, endpoint: String, deadline: NIODeadline) -> EventLoopFuture<Void>
    {
        enum Expectation {
            case ok(String)
            case sha1(String)
        }
        var commands: [ByteBuffer] = []
        var expectations: [Expectation] = []
        func add(_ arguments: [String], _ expectation: Expectation) {
            var buffer = self.channel.allocator.buffer(capacity: 64)
            RESPEncoder.writeCommand(arguments, into: &buffer)
            commands.append(buffer)
            expectations.append(expectation)
        }
        if let password = handshake.password {
            add(["AUTH"] + (handshake.username.map { [$0] } ?? []) + [password], .ok("AUTH"))
        }
        if handshake.database != 0 {
            add(["SELECT", String(handshake.database)], .ok("SELECT \(handshake.database)"))
        }
        for script in handshake.scripts {
            add(["SCRIPT", "LOAD", script.source], .sha1(script.sha1))
        }
        let replies: [EventLoopFuture<RESPValue>] = self.send(commands, deadline: deadline)
        let expected = expectations
        return EventLoopFuture.whenAllComplete(replies, on: self.channel.eventLoop).flatMapThrowing { results in
            for (result, expectation) in zip(results, expected) {
                let reply: RESPValue
                do {
                    reply = try result.get()
                } catch {
                    let cause = RedisClientError.wrapping(error)
                    throw RedisClientError(.connection, "handshake with \(endpoint) failed: \(cause.message)")
                }
                switch expectation {
                case .ok(let command):
                    guard case .simpleString("OK") = reply else {
                        throw RedisClientError(.connection, "\(endpoint) rejected \(command): \(reply)")
                    }
                case .sha1(let expected):
                    guard reply.string == expected else {
                        throw RedisClientError(
                            .connection,
                            "\(endpoint) answered SCRIPT LOAD with \(reply), expected the SHA-1 \(expected)")
                    }
                }
            }
        }
    }
}
