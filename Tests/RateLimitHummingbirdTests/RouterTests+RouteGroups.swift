import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MetricsTestKit
import RateLimit
import RateLimitHummingbird
import Testing

// Which headers are sent, and how nested route groups report several policies.
extension RouterTests {
    @Test("Header styles select which headers are sent", arguments: RateLimitHeaderStyle.allCases)
    func headerStyles(style: RateLimitHeaderStyle) async throws {
        let policy = try BucketPolicy(capacity: 1, refill: 1, every: .seconds(1))
        let app = Self.app(try Self.middleware(policy: policy, headers: style))
        try await app.test(.router) { client async throws in
            for status in [HTTPResponse.Status.ok, .tooManyRequests] {
                try await client.execute(uri: "/", method: .get) { response in
                    #expect(response.status == status)
                    #expect(response.headers.contains(.xRateLimitLimit) == style.includesLegacy)
                    #expect(response.headers.contains(.xRateLimitRemaining) == style.includesLegacy)
                    #expect(response.headers.contains(.xRateLimitReset) == style.includesLegacy)
                    #expect(response.headers.contains(.rateLimitPolicy) == style.includesIETF)
                    #expect(response.headers.contains(.rateLimit) == style.includesIETF)
                    // Retry-After is not a style choice.
                    #expect(response.headers.contains(.retryAfter) == (status == .tooManyRequests))
                }
            }
        }
    }

    // MARK: Route groups

    @Test("Route groups have their own policies; nested ones report every policy")
    func routeGroups() async throws {
        let clock = ManualClock()
        let general = try RateLimitMiddleware<TestContext>(
            limiter: AtomicRateLimiter<ClientKey>(policy: tutorialPolicy(), clock: clock),
            name: "general",
            metricsFactory: TestMetrics()
        )
        let strict = try RateLimitMiddleware<TestContext>(
            limiter: AtomicRateLimiter<ClientKey>(
                policy: BucketPolicy(capacity: 2, refill: 1, every: .seconds(10)), clock: clock),
            name: "strict",
            metricsFactory: TestMetrics()
        )
        let router = Router(context: TestContext.self)
        router.add(middleware: TestPeerMiddleware())
        router.add(middleware: general)
        router.get("/") { _, _ in "home" }
        router.group("/data").add(middleware: strict).get { _, _ in "data" }
        try await Application(router: router, logger: quietLogger).test(.router) { client async throws in
            try await client.execute(uri: "/data", method: .get) { response async throws in
                #expect(response.status == .ok)
                // The legacy headers report the policy closest to its limit.
                #expect(response.integer(.xRateLimitLimit) == 2)
                #expect(response.integer(.xRateLimitRemaining) == 1)
                #expect(
                    try parseRateLimitList(response.headers[.rateLimitPolicy]) == [
                        PolicyMember(name: "strict", parameters: ["q": 2, "w": 20]),
                        PolicyMember(name: "general", parameters: ["q": 10, "w": 5]),
                    ])
                #expect(
                    try parseRateLimitList(response.headers[.rateLimit]) == [
                        PolicyMember(name: "strict", parameters: ["r": 1, "t": 10]),
                        PolicyMember(name: "general", parameters: ["r": 9, "t": 1]),
                    ])
            }
            try await client.execute(uri: "/data", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/data", method: .get) { response in
                #expect(response.status == .tooManyRequests)
                #expect(response.headers[.retryAfter] == "10")
            }
            // The home page's own policy still has room.
            try await client.execute(uri: "/", method: .get) { response async throws in
                #expect(response.status == .ok)
                #expect(
                    try parseRateLimitList(response.headers[.rateLimit]) == [
                        PolicyMember(name: "general", parameters: ["r": 6, "t": 2])
                    ])
            }
        }
    }

    @Test("Route groups keep separate policies over TCP")
    func perRoutePolicies() async throws {
        let clock = ManualClock()
        let router = Router(context: TestContext.self)
        router.group()
            .add(
                middleware: try RateLimitMiddleware(
                    limiter: AtomicRateLimiter<ClientKey>(policy: tutorialPolicy(), clock: clock), name: "general",
                    metricsFactory: TestMetrics())
            )
            .get("/") { _, _ in "home" }
        router.group("/data")
            .add(
                middleware: try RateLimitMiddleware(
                    limiter: AtomicRateLimiter<ClientKey>(
                        policy: BucketPolicy(capacity: 3, refill: 1, every: .seconds(1)), clock: clock),
                    name: "data",
                    metricsFactory: TestMetrics()
                )
            )
            .get { _, _ in "data" }
        try await Application(router: router, logger: quietLogger).test(.live) { client async throws in
            for request in 1...4 {
                let response = try await client.execute(uri: "/data", method: .get)
                #expect(response.status == (request <= 3 ? .ok : .tooManyRequests))
                #expect(response.headers[.rateLimitPolicy] == #""data";q=3;w=3"#)
            }
            let home = try await client.execute(uri: "/", method: .get)
            #expect(home.status == .ok)
            #expect(home.headers[.rateLimit] == #""general";r=9;t=1"#)
        }
    }
}
