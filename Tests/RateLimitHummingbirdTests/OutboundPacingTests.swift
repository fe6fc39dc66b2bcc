import AsyncHTTPClient
import Hummingbird
import HummingbirdTesting
import Logging
import RateLimit
import Testing

/// The outbound example of the `WaitingForTokens` guide: many tasks call a third-party API through
/// AsyncHTTPClient, each waiting for its turn on one limiter key. A local server on 127.0.0.1
/// stands in for the API and records when each call arrives.
@Suite("Outbound pacing with AsyncHTTPClient")
struct OutboundPacingTests {
    /// When each call reached the stand-in API, on the monotonic clock the limiter also reads.
    actor Arrivals {
        var times: [Int64] = []
        func record(_ time: Int64) { self.times.append(time) }
    }

    @Test("30 concurrent tasks at 50 calls per second: the k-th call arrives no earlier than the k-th turn")
    func pacedCalls() async throws {
        let arrivals = Arrivals()
        let router = Router()
        router.get("/quote") { _, _ -> String in
            await arrivals.record(MonotonicClock().monotonicNanoseconds())
            return "ok"
        }
        var logger = Logger(label: "outbound-pacing")
        logger.logLevel = .warning
        let api = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger)
        try await api.test(.live) { client async throws in
            let port = try #require(client.port)
            // The example: one limiter, one key for the upstream, `wait` before every call.
            let upstream = try AtomicRateLimiter<String>(
                policy: try BucketPolicy(capacity: 1, refill: 50, every: .seconds(1)))
            let started = MonotonicClock().monotonicNanoseconds()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<30 {
                    group.addTask {
                        try await upstream.wait("api.example.com")
                        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/quote")
                        request.method = .GET
                        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
                        #expect(response.status == .ok)
                        _ = try await response.body.collect(upTo: 1024)
                    }
                }
                try await group.waitForAll()
            }
            // Turns are 20 ms apart from the first, which came at or after `started`: a call is
            // sent only after its turn and arrives after it is sent, so the k-th arrival (in
            // arrival order) is no earlier than the k-th turn. No upper bound: the host may be slow.
            let times = await arrivals.times.sorted()
            #expect(times.count == 30)
            for (k, time) in times.enumerated() {
                #expect(
                    time >= started + Int64(k) * 20_000_000,
                    "call \(k + 1) arrived \(time - started) ns after the start")
            }
        }
    }
}
