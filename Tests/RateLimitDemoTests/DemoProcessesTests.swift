import Foundation
import RateLimit
import RateLimitTesting
import RedisTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Two `ratelimit-demo` processes — two service instances — keep their buckets in one Redis.
/// Hammered concurrently over real TCP by a client whose every request comes from 127.0.0.1,
/// together they admit exactly what one instance with that policy would.
@Suite("Two demo processes, one Redis", .enabled(if: RedisTestServer.isEnabled), .serialized, .timeLimit(.minutes(3)))
struct DemoProcessesTests {
    /// The `ratelimit-demo` built next to this test bundle.
    static var demoExecutable: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
            "ratelimit-demo"
        ).path
    }

    @Test("the combined admitted count is exactly the capacity")
    func sharedLimit() async throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: Self.demoExecutable),
            "build ratelimit-demo first: \(Self.demoExecutable)")
        let server = try await RedisTestServer()
        // 40 requests per client, then one per hour: nothing is earned back during the test.
        // Two distinct ports: the kernel may hand the same free port out twice in a row.
        let first = try RedisTestServer.freePort()
        var second = try RedisTestServer.freePort()
        while second == first { second = try RedisTestServer.freePort() }
        let ports = [first, second]
        let demos = try ports.map { port in
            try DemoProcess.start(
                Self.demoExecutable,
                arguments: [
                    "--port", "\(port)", "--redis", "redis://127.0.0.1:\(server.port)", "--redis-failure", "closed",
                    "--capacity", "40", "--refill", "1", "--interval", "1h", "--log-level", "error",
                ]
            )
        }
        defer {
            for demo in demos { demo.stop() }
        }
        for (demo, port) in zip(demos, ports) {
            try await demo.waitUntilServing(port: port)
        }
        // 16 threads, half on each instance, 25 requests each: 400 requests for 40 tokens.
        let statuses = PerThreadResults(count: 16, initial: [Int]())
        RealThreads.run(16) { thread in
            statuses.update(thread) { codes in
                for _ in 0..<25 {
                    codes.append(HTTPProbe.status(port: ports[thread % 2], path: "/data"))
                }
            }
        }
        let all = statuses.all.flatMap { $0 }
        #expect(all.filter { $0 == 200 }.count == 40, "200s: \(all.filter { $0 == 200 }.count)")
        #expect(
            all.filter { $0 == 429 }.count == 360,
            "statuses: \(Dictionary(grouping: all, by: { $0 }).mapValues(\.count))")
        // Both instances served some of the admitted requests: the limit really is shared.
        let perInstance = (0..<2).map { instance in
            statuses.all.enumerated().filter { $0.offset % 2 == instance }.flatMap(\.element).filter { $0 == 200 }.count
        }
        #expect(perInstance.allSatisfy { $0 > 0 }, "admitted per instance: \(perInstance)")
        #expect(HTTPProbe.status(port: ports[0], path: "/health") == 200, "the exempt path stays open")
    }
}

/// A `ratelimit-demo` child process.
final class DemoProcess: Sendable {
    let process: Process

    private init(_ process: Process) {
        self.process = process
    }

    static func start(_ executable: String, arguments: [String]) throws -> DemoProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return DemoProcess(process)
    }

    /// Polls `/health` until the server answers 200, or throws when this process exits first
    /// (another process took its port) or at the suite's time limit.
    func waitUntilServing(port: Int) async throws {
        let process = self.process
        let served = await pollUntil(every: .milliseconds(50)) {
            guard process.isRunning else { return true }
            return HTTPProbe.status(port: port, path: "/health") == 200
        }
        // A 200 counts only while this process still runs: after it exits, the port may be
        // someone else's.
        guard served, process.isRunning else {
            throw TestFailure(
                "ratelimit-demo on port \(port) \(process.isRunning ? "did not start serving" : "exited before it served")"
            )
        }
    }

    /// SIGTERM (a graceful shutdown), then waits for the process to exit.
    func stop() {
        if self.process.isRunning {
            self.process.terminate()
            self.process.waitUntilExit()
        }
    }
}

/// A blocking HTTP/1.1 client for one request: just enough to read a status code.
enum HTTPProbe {
    /// The status code of `GET path` on 127.0.0.1:`port`, or 0 when no response arrived.
    static func status(port: Int, path: String) -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return 0 }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return 0 }
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        _ = request.withCString { send(descriptor, $0, strlen($0), 0) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        var received = 0
        while received < 12 {
            let count = buffer.withUnsafeMutableBytes {
                recv(descriptor, $0.baseAddress! + received, $0.count - received, 0)
            }
            guard count > 0 else { break }
            received += count
        }
        // "HTTP/1.1 200 OK"
        let line = String(decoding: buffer[..<received], as: UTF8.self)
        let parts = line.split(separator: " ", maxSplits: 2)
        return parts.count >= 2 ? Int(parts[1]) ?? 0 : 0
    }
}
