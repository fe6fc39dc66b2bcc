import NIOCore
import NIOPosix
import RedisTestSupport

@testable import RateLimitRedis
@testable import RedisClient

/// The Redis tests' server: the shared process helper, plus what only these tests need — a
/// limiter configuration for it and raw commands through the package's own RESP client.
typealias RedisServer = RedisTestServer

extension RedisTestServer {
    /// A configuration for this server whose timeouts never end a decision: they are longer than
    /// any suite's time limit, which is what catches a hang. Tests about timeouts set their own.
    func configuration(prefix: String = "test:") -> RedisConfiguration {
        var configuration = RedisConfiguration(host: "127.0.0.1", port: self.port)
        configuration.keyPrefix = prefix
        configuration.commandTimeout = beyondTimeLimit
        configuration.connectTimeout = beyondTimeLimit
        configuration.minimumReconnectDelay = .milliseconds(10)
        configuration.maximumReconnectDelay = .milliseconds(200)
        return configuration
    }

    /// Runs one command on a fresh connection (the RESP layer, against the real server), after
    /// `AUTH` when the server has a password and `SELECT` when `database` is not 0.
    ///
    /// Test plumbing that must succeed: its timeout is longer than the suite's time limit.
    func command(_ arguments: [String], database: Int = 0, timeout: Duration = beyondTimeLimit) async throws
        -> RESPValue
    {
        let deadline = NIODeadline.now() + .nanoseconds(timeout.saturatingNanoseconds)
        let connection = try await RedisConnection.connect(
            host: "127.0.0.1",
            port: self.port,
            handshake: .init(password: self.password, database: database, scripts: []),
            on: MultiThreadedEventLoopGroup.singleton.next(),
            deadline: deadline
        ).handedOffValue()
        defer { connection.close() }
        var buffer = ByteBuffer()
        RESPEncoder.writeCommand(arguments, into: &buffer)
        return try await connection.send(buffer, deadline: deadline)
    }
}

/// A timeout for what must not time out: ten minutes, longer than any suite's time limit, so that
/// on a loaded machine a slow test fails at that limit, as a hang, and never sooner.
let beyondTimeLimit = Duration.seconds(600)

/// `beyondTimeLimit` from now, for the RESP layer's deadlines.
var deadlineBeyondTimeLimit: NIODeadline { .now() + .seconds(600) }
