import Hummingbird
import HummingbirdTesting
import Logging
import MetricsTestKit
import RateLimit
import RateLimitHummingbird
import Testing

// Metrics and logs.
extension RouterTests {
    @Test("Metrics count allowed and denied requests per policy and time every decision")
    func metrics() async throws {
        let observed = Observed()
        let app = Self.app(try Self.middleware(observed: observed))
        try await app.test(.router) { client async throws in
            for _ in 1...15 {
                try await client.execute(uri: "/", method: .get) { _ in }
            }
            try await client.execute(uri: "/health", method: .get) { _ in }
        }
        func count(_ outcome: String) -> Int64 {
            observed.metrics.counterTotal(
                label: RateLimitMetricLabels.requests, dimensions: [("policy", "default"), ("outcome", outcome)])
        }
        #expect(count("allowed") == 10)
        #expect(count("denied") == 5)
        #expect(count("error") == 0)
        let timer = try observed.metrics.expectTimer(RateLimitMetricLabels.decisionDuration, [("policy", "default")])
        #expect(timer.values.count == 15)
        #expect(timer.values.allSatisfy { $0 >= 0 })
    }

    @Test("Denials are logged at the configured level; allowed requests only when asked")
    func logging() async throws {
        let quiet = Observed()
        try await Self.app(try Self.middleware(observed: quiet), observed: quiet).test(.router) { client async throws in
            for _ in 1...12 {
                try await client.execute(uri: "/", method: .get) { _ in }
            }
        }
        let denials = quiet.logs.entries
        #expect(denials.count == 2)
        #expect(denials.allSatisfy { $0.level == .info && $0.message.description == "Rate limit exceeded" })
        #expect(denials.first?.metadata["ratelimit.client"] == "203.0.113.7")
        #expect(denials.first?.metadata["ratelimit.retry_after"] == "1")

        let chatty = Observed()
        try await Self.app(try Self.middleware(allowedLogLevel: .debug, observed: chatty), observed: chatty).test(
            .router
        ) { client async throws in
            try await client.execute(uri: "/", method: .get) { _ in }
        }
        #expect(chatty.logs.entries.map(\.level) == [.debug])
        #expect(chatty.logs.entries.first?.metadata["ratelimit.remaining"] == "9")
    }
}
