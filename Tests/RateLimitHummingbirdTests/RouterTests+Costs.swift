import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MetricsTestKit
import RateLimit
import RateLimitHummingbird
import Testing

// Exempt paths, request costs, and the answers when no decision can be made.
extension RouterTests {
    @Test("Exempt paths are never limited and carry no rate-limit headers")
    func exemptPath() async throws {
        let policy = try BucketPolicy(capacity: 1, refill: 1, every: .seconds(60))
        let app = Self.app(try Self.middleware(policy: policy))
        try await app.test(.router) { client async throws in
            try await client.execute(uri: "/", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/", method: .get) { #expect($0.status == .tooManyRequests) }
            for uri in ["/health", "/health/", "/health?verbose=1"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .ok, "\(uri)")
                    #expect(response.headers[.xRateLimitRemaining] == nil)
                    #expect(response.headers[.rateLimit] == nil)
                }
            }
        }
    }

    @Test("Exempt paths match route patterns too")
    func exemptRoutePattern() async throws {
        let middleware = try RateLimitMiddleware<TestContext>(
            limiter: AtomicRateLimiter<ClientKey>(policy: BucketPolicy(capacity: 1, refill: 1, every: .seconds(60))),
            exemptPaths: ["/users/{id}"],
            metricsFactory: TestMetrics()
        )
        let app = Self.app(middleware)
        try await app.test(.router) { client async throws in
            for id in 1...3 {
                try await client.execute(uri: "/users/\(id)", method: .get) { #expect($0.status == .ok) }
            }
            try await client.execute(uri: "/", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/", method: .get) { #expect($0.status == .tooManyRequests) }
        }
    }

    @Test("The cost closure sets the tokens a request takes; 0 only reads the bucket")
    func cost() async throws {
        let costHeader = HTTPField.Name("X-Cost")!
        let app = Self.app(
            try Self.middleware(cost: { request, _ in request.headers[costHeader].flatMap { Int($0) } ?? 1 }))
        try await app.test(.router) { client async throws in
            func remaining(cost: Int) async throws -> Int? {
                try await client.execute(uri: "/", method: .get, headers: [costHeader: "\(cost)"]) {
                    $0.integer(.xRateLimitRemaining)
                }
            }
            #expect(try await remaining(cost: 3) == 7)
            #expect(try await remaining(cost: 0) == 7)
            #expect(try await remaining(cost: 7) == 0)
            try await client.execute(uri: "/", method: .get, headers: [costHeader: "1"]) {
                #expect($0.status == .tooManyRequests)
            }
        }
    }

    @Test("A cost above the capacity is denied without Retry-After: no wait would admit it")
    func costAboveCapacity() async throws {
        let app = Self.app(try Self.middleware(cost: { _, _ in 11 }))
        try await app.test(.router) { client async throws in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .tooManyRequests)
                #expect(response.headers[.retryAfter] == nil)
                #expect(response.integer(.xRateLimitRemaining) == 10)
                #expect(response.text.contains("can never be admitted"))
            }
        }
    }

    @Test("A negative cost answers 500 and logs an error; the server keeps serving")
    func negativeCost() async throws {
        let observed = Observed()
        let costHeader = HTTPField.Name("X-Cost")!
        let middleware = try Self.middleware(
            observed: observed, cost: { request, _ in request.headers[costHeader].flatMap { Int($0) } ?? 1 })
        let app = Self.app(middleware, observed: observed)
        try await app.test(.router) { client async throws in
            try await client.execute(uri: "/", method: .get, headers: [costHeader: "-1"]) { response in
                #expect(response.status == .internalServerError)
                #expect(response.text == #"{"error":"Internal Server Error"}"#)
            }
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.integer(.xRateLimitRemaining) == 9) // the failed request took nothing
            }
        }
        let errors = observed.logs.entries.filter { $0.level == .error }
        #expect(errors.count == 1)
        #expect(errors.first?.metadata["ratelimit.cost"] == "-1")
        let logged = "\(errors.first?.metadata["error"] ?? "")"
        #expect(logged.contains("invalid cost -1"))
        #expect(
            observed.metrics.counterTotal(
                label: RateLimitMetricLabels.requests, dimensions: [("policy", "default"), ("outcome", "error")]) == 1)
    }

    @Test("A negative cost never reaches the limiter, even one that would accept it")
    func negativeCostCheckedByMiddleware() async throws {
        struct Permissive: AsyncRateLimiter {
            let policy: BucketPolicy
            func acquire(_ key: ClientKey, cost: Int) async throws -> RateLimitDecision {
                RateLimitDecision(
                    isAllowed: true, remaining: 10, limit: 10, retryAfterNanoseconds: 0, resetAfterNanoseconds: 0)
            }
        }
        let middleware = try RateLimitMiddleware<TestContext>(
            limiter: Permissive(policy: tutorialPolicy()),
            metricsFactory: TestMetrics(),
            cost: { _, _ in -5 }
        )
        try await Self.app(middleware).test(.router) { client async throws in
            try await client.execute(uri: "/", method: .get) { #expect($0.status == .internalServerError) }
        }
    }

    @Test("A limiter that throws answers 503")
    func limiterFailure() async throws {
        struct Unreachable: AsyncRateLimiter {
            let policy: BucketPolicy
            func acquire(_ key: ClientKey, cost: Int) async throws -> RateLimitDecision {
                throw RateLimitError(code: .unavailable, message: "store unreachable")
            }
        }
        let middleware = try RateLimitMiddleware<TestContext>(
            limiter: Unreachable(policy: tutorialPolicy()), metricsFactory: TestMetrics())
        try await Self.app(middleware).test(.router) { client async throws in
            try await client.execute(uri: "/", method: .get) { #expect($0.status == .serviceUnavailable) }
        }
    }

    @Test("Error responses from an allowed request's handler still carry the headers")
    func handlerErrorKeepsHeaders() async throws {
        let app = Self.app(try Self.middleware())
        try await app.test(.router) { client async throws in
            try await client.execute(uri: "/missing", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.integer(.xRateLimitRemaining) == 9)
                #expect(response.headers[.rateLimit] == #""default";r=9;t=1"#)
            }
            // Unrouted paths are limited too: scanners pay for every probe.
            try await client.execute(uri: "/nowhere", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.integer(.xRateLimitRemaining) == 8)
            }
        }
    }
}
