import Hummingbird
import HummingbirdTesting
import Logging
import MetricsTestKit
import RateLimit
import RateLimitHummingbird
import Testing

// Shadow mode: decisions, tokens, headers, logs and counts as in enforcement, never a 429.
extension RouterTests {
    static func shadowMiddleware(
        unidentified: UnidentifiedClientPolicy = .sharedBucket,
        headers: RateLimitHeaderStyle = .both,
        observed: Observed,
        cost: (@Sendable (Request, TestContext) -> Int)? = nil
    ) throws -> RateLimitMiddleware<TestContext> {
        try RateLimitMiddleware(
            limiter: RateLimitEngine.atomic.make(
                policy: tutorialPolicy(), clock: ManualClock(), keyType: ClientKey.self),
            key: .remoteAddress,
            unidentifiedClients: unidentified,
            exemptPaths: ["/health"],
            headers: headers,
            metricsFactory: observed.metrics,
            decisionTiming: .all,
            cost: cost,
            enforcement: .shadow
        )
    }

    @Test("Shadow mode: the tutorial's burst gives 15 × 200, 5 counted and logged would-be denials, and the headers")
    func shadowBurst() async throws {
        let observed = Observed()
        let middleware = try Self.shadowMiddleware(observed: observed)
        #expect(middleware.enforcement == .shadow)
        try await Self.app(middleware, observed: observed).test(.router) { client async throws in
            for request in 1...15 {
                try await client.execute(uri: "/", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.retryAfter] == nil)
                    // The bucket is taken from as in enforcement: the headers say what it holds.
                    #expect(response.headers[.xRateLimitRemaining] == "\(max(0, 10 - request))")
                    #expect(
                        response.headers[.rateLimit]
                            == #""default";r=\#(max(0, 10 - request));t=\#(request < 10 ? request / 2 + request % 2 : 5)"#
                    )
                }
            }
        }
        func count(_ outcome: String) -> Int64 {
            observed.metrics.counterTotal(
                label: RateLimitMetricLabels.requests, dimensions: [("policy", "default"), ("outcome", outcome)])
        }
        #expect(count("allowed") == 10)
        #expect(count("shadow_denied") == 5)
        #expect(count("denied") == 0)
        let logged = observed.logs.entries
        #expect(logged.count == 5)
        #expect(
            logged.allSatisfy {
                $0.level == .info && $0.message.description == "Rate limit would be exceeded (shadow mode)"
            })
        #expect(logged.first?.metadata["ratelimit.retry_after"] == "1")
    }

    @Test("Shadow mode with no headers sends none")
    func shadowWithoutHeaders() async throws {
        let observed = Observed()
        try await Self.app(try Self.shadowMiddleware(headers: .none, observed: observed), observed: observed).test(
            .router
        ) { client async throws in
            for _ in 1...12 {
                try await client.execute(uri: "/", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.xRateLimitRemaining] == nil && response.headers[.rateLimit] == nil)
                }
            }
        }
    }

    @Test("Shadow mode passes what enforcement would reject: no client key, a negative cost")
    func shadowPassesRejections() async throws {
        let observed = Observed()
        let noKey = try Self.shadowMiddleware(unidentified: .reject(status: .unauthorized), observed: observed)
        try await Self.app(noKey, observed: observed).test(.router) { client async throws in
            try await client.execute(uri: "/", method: .get, headers: [TestPeerMiddleware.header: "none"]) {
                #expect($0.status == .ok)
                #expect($0.headers[.xRateLimitLimit] == nil)
            }
        }
        #expect(
            observed.metrics.counterTotal(
                label: RateLimitMetricLabels.requests,
                dimensions: [("policy", "default"), ("outcome", "shadow_rejected")])
                == 1)
        #expect(
            observed.logs.entries.map(\.message.description) == ["Would reject request (shadow mode): no client key"])

        let buggy = Observed()
        try await Self.app(try Self.shadowMiddleware(observed: buggy, cost: { _, _ in -1 }), observed: buggy).test(
            .router
        ) { client async throws in
            try await client.execute(uri: "/", method: .get) { #expect($0.status == .ok) }
        }
        #expect(
            buggy.metrics.counterTotal(
                label: RateLimitMetricLabels.requests, dimensions: [("policy", "default"), ("outcome", "error")]) == 1)
    }
}
