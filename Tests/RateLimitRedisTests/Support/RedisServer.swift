import Foundation
import RateLimit
import NIOCore
import NIOPosix
import NIOConcurrencyHelpers

@testable import RateLimitRedis
@testable import RedisClient

#if canImport(Glibc)
import Glibc
#endif

/// A private `redis-server` for one test: a free loopback port, persistence off, its own
/// directory, stopped (and the directory removed) when the test ends.
///
/// Tests that need one are enabled with ``RedisServer/isEnabled``: without `redis-server` on the
/// `PATH` (or in `REDIS_SERVER`) they are skipped with a printed notice — except when `CI=true`,
/// where they run and fail, so that a CI machine without Redis cannot pass silently.
final class RedisServer: Sendable {
    /// The `redis-server` binary: `$REDIS_SERVER` when set, otherwise the first on `$PATH`.
    static let executable: String? = {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["REDIS_SERVER"] {
            // Set explicitly: that binary or none (REDIS_SERVER=/nonexistent simulates a machine
            // without Redis).
            return FileManager.default.isExecutableFile(atPath: explicit) ? explicit : nil
        }
        for directory in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/redis-server"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()

    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

    /// Whether Redis tests run: when `redis-server` exists, or always in CI (where a missing
    /// binary makes them fail). Prints the skip notice once.
    static let isEnabled: Bool = {
        if executable == nil && !isCI {
            print("NOTICE: redis-server not found (install the redis-server package or set REDIS_SERVER); skipping the Redis tests. With CI=true they fail instead.")
            return false
        }
        return true
    }()

    let port: Int
    let directory: String
    private let process: NIOLockedValueBox<Process?>

    /// Starts a server on a free port (or on `port`) and waits until it answers `PING`.
    init(port: Int? = nil, extraArguments: [String] = [], password: String? = nil) async throws {
        guard let executable = Self.executable else {
            throw TestFailure("redis-server not found on PATH or in REDIS_SERVER, and CI=true: a skipped Redis test is a failure in CI")
        }
        self.port = try port ?? Self.freePort()
        self.directory = NSTemporaryDirectory() + "ratelimit-redis-\(self.port)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
        self.process = NIOLockedValueBox(nil)
        self.extraArguments = extraArguments
        self.password = password
        self.executablePath = executable
        try await self.start()
    }

    private let extraArguments: [String]
    private let executablePath: String
    /// The default user's password, when the server requires one.
    let password: String?

    /// Starts the server process (again, after ``kill()``), on the same port, with an empty
    /// dataset and script cache.
    func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: self.executablePath)
        process.arguments = [
            "--port", "\(self.port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--protected-mode", "no", "--enable-debug-command", "local", "--daemonize", "no",
            "--dir", self.directory, "--logfile", "\(self.directory)/redis.log",
        ] + self.extraArguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process.withLockedValue { $0 = process }
        // Generous: with the whole suite running in parallel on two cores, a start can take seconds.
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let reply = try? await self.command(["PING"]), reply == .simpleString("PONG") { return }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let log = (try? String(contentsOfFile: "\(self.directory)/redis.log", encoding: .utf8)) ?? ""
        throw TestFailure("redis-server on port \(self.port) did not start: \(log.suffix(2000))")
    }

    /// Kills the server with SIGKILL, as a crash would, and waits for it to exit.
    func kill() {
        guard let process = self.process.withLockedValue({ process -> Process? in defer { process = nil }; return process }) else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Stops the server and removes its directory.
    func stop() {
        self.kill()
        try? FileManager.default.removeItem(atPath: self.directory)
    }

    deinit {
        self.stop()
    }

    /// `redis://127.0.0.1:<port>`.
    var url: String {
        "redis://127.0.0.1:\(self.port)"
    }

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

    /// A port nothing listens on right now: bound to 0, read back, released.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw TestFailure("bind() failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A test failure with a message.
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) {
        self.description = description
    }
}
