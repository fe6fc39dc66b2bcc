import NIOCore
import NIOPosix
import RedisTestSupport

@testable import RateLimitRedis
@testable import RedisClient

/// The Redis tests' server: the shared process helper, plus what only these tests need — a
/// limiter configuration for it and raw commands through the package's own RESP client.
typealias RedisServer = RedisTestServer

extension RedisTestServer {
    /// A configuration for this server with short timeouts suited to tests.
    func configuration(prefix: String = "test:") -> RedisConfiguration {
        var configuration = RedisConfiguration(host: "127.0.0.1", port: self.port)
        configuration.keyPrefix = prefix
        // Generous: these tests are not about timeouts (those set their own), and under
        // ThreadSanitizer beside the other suites 5 s has not always been enough.
        configuration.commandTimeout = .seconds(60)
        configuration.connectTimeout = .seconds(30)
        configuration.minimumReconnectDelay = .milliseconds(10)
        configuration.maximumReconnectDelay = .milliseconds(200)
        return configuration
    }

    /// Runs one command on a fresh connection (the RESP layer, against the real server), after
    /// `AUTH` when the server has a password and `SELECT` when `database` is not 0.
    ///
    /// The timeout only rules out a hang: test plumbing that must succeed, it has to hold on a
    /// loaded machine under ThreadSanitizer, where 5 s was once not enough for a connection, its
    /// handshake and one command while a dozen servers started beside it.
    func command(_ arguments: [String], database: Int = 0, timeout: Duration = .seconds(60)) async throws -> RESPValue {
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
