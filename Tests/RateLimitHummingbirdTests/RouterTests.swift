import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import MetricsTestKit
import RateLimit
import RateLimitHummingbird
import Testing

/// In-process tests through Hummingbird's router, on a `ManualClock`: exact, instant, and
/// independent of the machine's speed.
@Suite("Router")
struct RouterTests {
    /// A router with the peer-faking middleware, one rate-limit middleware and the test routes.
    static func app(
        _ middleware: RateLimitMiddleware<TestContext>,
        observed: Observed = Observed()
    ) -> some ApplicationProtocol {
        let router = Router(context: TestContext.self)
        router.add(middleware: TestPeerMiddleware())
        router.add(middleware: middleware)
        addRoutes(to: router)
        return Application(router: router, logger: observed.logger)
    }

    static func middleware(
        policy: BucketPolicy? = nil,
        clock: ManualClock = ManualClock(),
        engine: RateLimitEngine = .atomic,
        key: ClientKeyExtractor<TestContext> = .remoteAddress,
        unidentified: UnidentifiedClientPolicy = .sharedBucket,
        headers: RateLimitHeaderStyle = .both,
        allowedLogLevel: Logger.Level? = nil,
        observed: Observed = Observed(),
        // Every decision, so that timer counts are exact (and no test moves the sampler's count).
        decisionTiming: DecisionTiming = .all,
        cost: (@Sendable (Request, TestContext) -> Int)? = nil
    ) throws -> RateLimitMiddleware<TestContext> {
        try RateLimitMiddleware(
            limiter: engine.make(policy: policy ?? tutorialPolicy(), clock: clock, keyType: ClientKey.self),
            key: key,
            unidentifiedClients: unidentified,
            exemptPaths: ["/health"],
            headers: headers,
            allowedLogLevel: allowedLogLevel,
            metricsFactory: observed.metrics,
            decisionTiming: decisionTiming,
            cost: cost
        )
    }

    // MARK: The tutorial's burst and refill test

    @Test(
        "15 rapid requests: 10 × 200 then 5 × 429, exact headers; after 3 s they pass again",
        arguments: RateLimitEngine.allCases, [RefillMode.smooth, .stepped])
    func tutorialBurstAndRefill(engine: RateLimitEngine, mode: RefillMode) async throws {
        let clock = ManualClock()
        let app = Self.app(try Self.middleware(policy: tutorialPolicy(mode: mode), clock: clock, engine: engine))
        try await app.test(.router) { client async throws in
            for request in 1...15 {
                try await client.execute(uri: "/data", method: .get) { response in
                    let allowed = request <= 10
                    #expect(response.status == (allowed ? .ok : .tooManyRequests), "request \(request)")
                    let remaining = allowed ? 10 - request : 0
                    // Each token takes 0.5 s to earn back: `request` missing tokens take request/2 s.
                    let reset = (min(request, 10) + 1) / 2
                    #expect(response.headers[.xRateLimitLimit] == "10")
                    #expect(response.integer(.xRateLimitRemaining) == remaining, "request \(request)")
                    #expect(response.integer(.xRateLimitReset) == reset, "request \(request)")
                    #expect(response.headers[.rateLimitPolicy] == #""default";q=10;w=5"#)
                    #expect(response.headers[.rateLimit] == #""default";r=\#(remaining);t=\#(reset)"#)
                    if allowed {
                        #expect(response.headers[.retryAfter] == nil)
                        #expect(response.text == "data")
                    } else {
                        // The next token is 0.5 s away: rounded up to whole seconds.
                        #expect(response.headers[.retryAfter] == "1")
                        #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                        #expect(
                            response.text
                                == #"{"error":"Too Many Requests","detail":"Rate limit exceeded. Retry after 1 s.","retryAfter":1}"#
                        )
                    }
                }
            }

            try clock.advance(by: .seconds(3)) // 2 tokens per second: 6 tokens back
            for request in 1...7 {
                try await client.execute(uri: "/data", method: .get) { response in
                    #expect(
                        response.status == (request <= 6 ? .ok : .tooManyRequests), "request \(request) after refill")
                    #expect(response.integer(.xRateLimitRemaining) == max(0, 6 - request))
                }
            }
        }
    }

    @Test("Retry-After is the wait for the next token in whole seconds, rounded up")
    func retryAfterRoundsUp() async throws {
        let clock = ManualClock()
        // One token every 2.5 s.
        let policy = try BucketPolicy(capacity: 1, refill: 2, every: .seconds(5))
        let app = Self.app(try Self.middleware(policy: policy, clock: clock))
        try await app.test(.router) { client async throws in
            try await client.execute(uri: "/", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .tooManyRequests)
                #expect(response.headers[.retryAfter] == "3") // 2.5 s
                #expect(response.headers[.rateLimitPolicy] == #""default";q=1;w=3"#)
            }
            try clock.advance(by: .milliseconds(2_400))
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .tooManyRequests)
                #expect(response.headers[.retryAfter] == "1") // 0.1 s, never 0
            }
            try clock.advance(by: .milliseconds(100))
            try await client.execute(uri: "/", method: .get) { #expect($0.status == .ok) }
        }
    }
}
