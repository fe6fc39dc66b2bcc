import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A private `redis-server` process for one test: a free loopback port, persistence off, its own
/// directory, stopped (and the directory removed) when the value is released.
///
/// Only the process: it speaks no Redis beyond the readiness `PING`, so that test targets which
/// merely need a server (the demo's) do not depend on the Redis client.
///
/// Tests that need one are enabled with ``isEnabled``: without `redis-server` on the `PATH` (or
/// in `REDIS_SERVER`) they are skipped with a printed notice — except when `CI=true`, where they
/// run and fail, so that a CI machine without Redis cannot pass silently.
package final class RedisTestServer: @unchecked Sendable {
    /// The `redis-server` binary: `$REDIS_SERVER` when set, otherwise the first on `$PATH`.
    package static let executable: String? = {
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

    package static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

    /// Whether Redis tests run: when `redis-server` exists, or always in CI (where a missing
    /// binary makes them fail). Prints the skip notice once.
    package static let isEnabled: Bool = {
        if executable == nil && !isCI {
            print(
                """
                NOTICE: redis-server not found (install the redis-server package or set REDIS_SERVER); \
                skipping the Redis tests. With CI=true they fail instead.
                """
            )
            return false
        }
        return true
    }()

    /// Set once, in `init` (again only if another process took the first free port first).
    package private(set) var port: Int
    package let directory: String
    /// The default user's password, when the server requires one.
    package let password: String?
    private let executablePath: String
    private let extraArguments: [String]
    /// Guards `process`, the only mutable state (hence `@unchecked Sendable`).
    private let lock = NSLock()
    private var process: Process?

    /// Starts a server on a free port (or on `port`) and waits until it answers.
    package init(port: Int? = nil, extraArguments: [String] = [], password: String? = nil) async throws {
        guard let executable = Self.executable else {
            throw TestFailure(
                """
                redis-server not found on PATH or in REDIS_SERVER, and CI=true: a skipped Redis test is a \
                failure in CI
                """
            )
        }
        self.port = try port ?? Self.freePort()
        self.directory = NSTemporaryDirectory() + "ratelimit-redis-\(self.port)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
        self.extraArguments = extraArguments
        self.password = password
        self.executablePath = executable
        // A free port is free only until someone binds it: another test's connection or process
        // can take it before redis-server does. Then the server exits at once, and a port the
        // caller did not choose is chosen again.
        var attempts = 0
        while true {
            do {
                try await self.start()
                return
            } catch let failure as TestFailure
                where port == nil && attempts < 5
                && failure.description.contains("Address already in use")
            {
                attempts += 1
                self.port = try Self.freePort()
            }
        }
    }

    /// Starts the server process (again, after ``kill()``), on the same port, with an empty
    /// dataset and script cache.
    package func start() async throws {
        // A fresh log: a failure to start is reported from this start's lines only.
        try? FileManager.default.removeItem(atPath: "\(self.directory)/redis.log")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: self.executablePath)
        process.arguments =
            [
                "--port", "\(self.port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--protected-mode", "no", "--enable-debug-command", "local", "--daemonize", "no",
                "--dir", self.directory, "--logfile", "\(self.directory)/redis.log",
            ] + self.extraArguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.lock.withLock { self.process = process }
        // Until it is ready or exits, with no deadline of its own: the suites' time limits catch
        // a server that never comes up (a start can take seconds on a loaded machine).
        //
        // Readiness is read from this server's own log, not from a PING alone: when another
        // test's server took the port first, a PING sent before this process exits is answered
        // by that server, and two tests would share one dataset (CI saw a test find three
        // tokens gone from a bucket it had just written). The PING then checks that the port
        // answers.
        var exited = false
        let settled = await pollUntil {
            exited = !process.isRunning
            if exited { return true }
            guard self.logSaysReady() else { return false }
            return await Self.answersPing(port: self.port)
        }
        if settled && !exited && process.isRunning { return }
        exited = !process.isRunning
        let log = self.log()
        throw TestFailure(
            "redis-server on port \(self.port) \(exited ? "exited" : "did not answer") before it served: \(log.suffix(2000))"
        )
    }

    /// This start's log (empty before the server writes one).
    private func log() -> String {
        (try? String(contentsOfFile: "\(self.directory)/redis.log", encoding: .utf8)) ?? ""
    }

    /// Whether this start's server has logged that it listens. Only this process writes
    /// `redis.log` in `directory`, and `start()` removes the previous start's log first.
    private func logSaysReady() -> Bool {
        self.log().contains("Ready to accept connections")
    }

    /// Kills the server with SIGKILL, as a crash would, and waits for it to exit.
    package func kill() {
        let running = self.lock.withLock {
            defer { self.process = nil }
            return self.process
        }
        guard let running else { return }
        #if canImport(Glibc)
            _ = Glibc.kill(running.processIdentifier, SIGKILL)
        #else
            _ = Darwin.kill(running.processIdentifier, SIGKILL)
        #endif
        running.waitUntilExit()
    }

    /// Stops the server and removes its directory.
    package func stop() {
        self.kill()
        try? FileManager.default.removeItem(atPath: self.directory)
    }

    deinit {
        self.stop()
    }

    /// `redis://127.0.0.1:<port>`.
    package var url: String {
        "redis://127.0.0.1:\(self.port)"
    }

    /// A port nothing listens on right now: bound to 0, read back, released.
    package static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestFailure("socket() failed") }
        defer { close(descriptor) }
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw TestFailure("bind() failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether a server on `port` answers an inline `PING`: `+PONG`, or `-NOAUTH` from one that
    /// wants a password first — either way it is up.
    ///
    /// Never blocks its thread: this runs on Swift's cooperative pool (one thread per core), where
    /// a blocking `recv` on a server that has accepted but not yet answered stalled every other
    /// test for seconds. The connect is to loopback, so it completes or is refused at once; the
    /// reply is polled without waiting (`MSG_DONTWAIT`), with async sleeps in between.
    private static func answersPing(port: Int) async -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = Self.loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return false }
        _ = "PING\r\n".withCString { send(descriptor, $0, strlen($0), Int32(MSG_DONTWAIT)) }
        var reply = [UInt8](repeating: 0, count: 64)
        // A second for the reply; `start()` probes again until its own deadline.
        let deadline = ContinuousClock.now + .seconds(1)
        while ContinuousClock.now < deadline {
            let count = reply.withUnsafeMutableBytes {
                recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT))
            }
            if count > 0 {
                let text = String(decoding: reply[..<count], as: UTF8.self)
                return text.hasPrefix("+PONG") || text.hasPrefix("-NOAUTH")
            }
            guard count < 0, errno == EAGAIN || errno == EWOULDBLOCK else { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return false
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}

/// A failure of test plumbing (a server that does not start), with a message.
package struct TestFailure: Error, CustomStringConvertible {
    package let description: String

    package init(_ description: String) {
        self.description = description
    }
}
