import RedisTestSupport
import Testing

/// The test server helper must never hand a test someone else's server: when another process
/// holds the port, a PING sent before the new process exits is answered by that process, and
/// two tests would share one dataset (CI once saw a bucket lose three tokens it never spent).
@Suite("Test server", .enabled(if: RedisServer.isEnabled), .timeLimit(.minutes(3)))
struct TestServerTests {
    @Test("a server whose port another server holds fails to start instead of sharing that server")
    func portTakenByAnotherServer() async throws {
        let first = try await RedisServer()
        #expect(try await first.command(["SET", "owner", "first"]) == .simpleString("OK"))
        await #expect {
            _ = try await RedisServer(port: first.port)
        } throws: { error in
            "\(error)".contains("Address already in use")
        }
        // The first server is untouched and still answers.
        #expect(try await first.command(["GET", "owner"]) == .bulkString("first"))
    }
}
