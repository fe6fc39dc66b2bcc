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
    enum Engine: String, CaseIterable, Sendable {
        case mutex, atomic, sharded

        func make(_ policy: BucketPolicy, clock: ManualClock) throws -> any AsyncRateLimiter<ClientKey> {
            switch self {
            case .mutex: try MutexRateLimiter<ClientKey>(policy: policy, clock: clock)
            case .atomic: try AtomicRateLimiter<ClientKey>(policy: policy, clock: clock)
            case .sharded: try ShardedRateLimiter<ClientKey>(policy: policy, clock: clock)
            }
        }
    }

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
        engine: Engine = .atomic,
        key: ClientKeyExtractor<TestContext> = .remoteAddress,
        unidentified: UnidentifiedClientPolicy = .sharedBucket,
        headers: RateLimitHeaderStyle = .both,
        allowedLogLevel: Logger.Level? = nil,
        observed: Observed = Observed(),
        cost: (@Sendable (Request, TestContext) -> Int)? = nil
    ) throws -> RateLimitMiddleware<TestContext> {
        try RateLimitMiddleware(
            limiter: engine.make(policy ?? tutorialPolicy(), clock: clock),
            key: key,
            unidentifiedClients: unidentified,
            exemptPaths: ["/health"],
            headers: headers,
            allowedLogLevel: allowedLogLevel,
            metricsFactory: observed.metrics,
            cost: cost
        )
    }

    // MARK: The tutorial's burst and refill test

    @Test("15 rapid requests: 10 × 200 then 5 × 429, exact headers; after 3 s they pass again", arguments: Engine.allCases, [RefillMode.smooth, .stepped])
    func tutorialBurstAndRefill(engine: Engine, mode: RefillMode) async throws {
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
                        #expect(response.text == #"{"error":"Too Many Requests","detail":"Rate limit exceeded. Retry after 1 s.","retryAfter":1}"#)
                    }
                }
            }

            try clock.advance(by: .seconds(3))  // 2 tokens per second: 6 tokens back
            for request in 1...7 {
                try await client.execute(uri: "/data", method: .get) { response in
                    #expect(response.status == (request <= 6 ? .ok : .tooManyRequests), "request \(request) after refill")
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
                #expect(response.headers[.retryAfter] == "3")  // 2.5 s
                #expect(response.headers[.rateLimitPolicy] == #""default";q=1;w=3"#)
            }
            try clock.advance(by: .milliseconds(2_400))
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .tooManyRequests)
                #expect(response.headers[.retryAfter] == "1")  // 0.1 s, never 0
            }
            try clock.advance(by: .milliseconds(100))
            try await client.execute(uri: "/", method: .get) { #expect($0.status == .ok) }
        }
    }

    // MARK: Keys

    @Test("Each client address has its own bucket; IPv6 clients by /64, embedded IPv4 clients by /32")
    func bucketsPerClient() async throws {
        let policy = try BucketPolicy(capacity: 2, refill: 1, every: .seconds(60))
        let app = Self.app(try Self.middleware(policy: policy))
        try await app.test(.router) { client async throws in
            func get(_ peer: String) async throws -> HTTPResponse.Status {
                try await client.execute(uri: "/", method: .get, headers: [TestPeerMiddleware.header: peer]) { $0.status }
            }
            #expect(try await get("192.0.2.1") == .ok)
            #expect(try await get("192.0.2.1") == .ok)
            #expect(try await get("192.0.2.1") == .tooManyRequests)
            #expect(try await get("192.0.2.2") == .ok)
            // A dual-stack listener reports IPv4 clients as IPv4-mapped IPv6: the same client.
            #expect(try await get("::ffff:192.0.2.2") == .ok)
            #expect(try await get("192.0.2.2") == .tooManyRequests)
            // Two addresses of one /64 share a bucket; the neighbouring /64 does not.
            #expect(try await get("2001:db8::1") == .ok)
            #expect(try await get("2001:db8::ffff") == .ok)
            #expect(try await get("2001:db8::2") == .tooManyRequests)
            #expect(try await get("2001:db8:0:1::1") == .ok)
            // IPv4 clients behind NAT64 are keyed by their IPv4 address, not the gateway's /64.
            #expect(try await get("64:ff9b::198.51.100.1") == .ok)
            #expect(try await get("64:ff9b::198.51.100.2") == .ok)
            #expect(try await get("64:ff9b::198.51.100.1") == .ok)
            #expect(try await get("198.51.100.1") == .tooManyRequests)
            #expect(try await get("::ffff:0:198.51.100.2") == .ok)
            #expect(try await get("::198.51.100.2") == .tooManyRequests)
        }
    }

    @Test("Without a client key, requests share one bucket by default")
    func unidentifiedShareABucket() async throws {
        let observed = Observed()
        let app = Self.app(try Self.middleware(observed: observed))
        try await app.test(.router) { client async throws in
            for expected in [9, 8, 7] {
                try await client.execute(uri: "/", method: .get, headers: [TestPeerMiddleware.header: "none"]) { response in
                    #expect(response.status == .ok)
                    #expect(response.integer(.xRateLimitRemaining) == expected)
                }
            }
            // An identified client is unaffected.
            try await client.execute(uri: "/", method: .get) { #expect($0.integer(.xRateLimitRemaining) == 9) }
        }
        #expect(observed.metrics.counterTotal(label: RateLimitMetricLabels.requests, dimensions: [("policy", "default"), ("outcome", "allowed")]) == 4)
    }

    @Test("Without a client key, requests can be rejected instead")
    func unidentifiedRejected() async throws {
        let observed = Observed()
        let app = Self.app(try Self.middleware(unidentified: .reject(status: .unauthorized), observed: observed), observed: observed)
        try await app.test(.router) { client async throws in
            try await client.execute(uri: "/", method: .get, headers: [TestPeerMiddleware.header: "none"]) { response in
                #expect(response.status == .unauthorized)
                #expect(response.text == #"{"error":"Unauthorized","detail":"The client could not be identified."}"#)
                #expect(response.headers[.xRateLimitLimit] == nil)
            }
        }
        #expect(observed.metrics.counterTotal(label: RateLimitMetricLabels.requests, dimensions: [("policy", "default"), ("outcome", "rejected")]) == 1)
        #expect(observed.logs.entries.map(\.message.description) == ["Rejected request: no client key"])
    }

    @Test("A header key: one bucket per value; missing, repeated or oversized values identify no client")
    func headerKey() async throws {
        let apiKey = HTTPField.Name("X-API-Key")!
        let policy = try BucketPolicy(capacity: 1, refill: 1, every: .seconds(60))
        let app = Self.app(try Self.middleware(policy: policy, key: .header(apiKey, maximumLength: 16), unidentified: .reject()))
        try await app.test(.router) { client async throws in
            func get(_ headers: HTTPFields) async throws -> HTTPResponse.Status {
                try await client.execute(uri: "/", method: .get, headers: headers) { $0.status }
            }
            #expect(try await get([apiKey: "alpha"]) == .ok)
            #expect(try await get([apiKey: "alpha"]) == .tooManyRequests)
            #expect(try await get([apiKey: "beta"]) == .ok)
            #expect(try await get([:]) == .badRequest)
            #expect(try await get([apiKey: String(repeating: "k", count: 17)]) == .badRequest)
            var repeated = HTTPFields()
            repeated.append(HTTPField(name: apiKey, value: "gamma"))
            repeated.append(HTTPField(name: apiKey, value: "delta"))
            #expect(try await get(repeated) == .badRequest)
        }
    }

    @Test("A custom key, such as an authenticated user")
    func customKey() async throws {
        let user = HTTPField.Name("X-User")!
        let policy = try BucketPolicy(capacity: 1, refill: 1, every: .seconds(60))
        let key = ClientKeyExtractor<TestContext>.custom { request, _ in request.headers[user] }
        let app = Self.app(try Self.middleware(policy: policy, key: key))
        try await app.test(.router) { client async throws in
            try await client.execute(uri: "/", method: .get, headers: [user: "ada"]) { #expect($0.status == .ok) }
            try await client.execute(uri: "/", method: .get, headers: [user: "ada"]) { #expect($0.status == .tooManyRequests) }
            try await client.execute(uri: "/", method: .get, headers: [user: "grace"]) { #expect($0.status == .ok) }
        }
    }

    // MARK: Exemptions, costs, failures

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
        let app = Self.app(try Self.middleware(cost: { request, _ in request.headers[costHeader].flatMap { Int($0) } ?? 1 }))
        try await app.test(.router) { client async throws in
            func remaining(cost: Int) async throws -> Int? {
                try await client.execute(uri: "/", method: .get, headers: [costHeader: "\(cost)"]) { $0.integer(.xRateLimitRemaining) }
            }
            #expect(try await remaining(cost: 3) == 7)
            #expect(try await remaining(cost: 0) == 7)
            #expect(try await remaining(cost: 7) == 0)
            try await client.execute(uri: "/", method: .get, headers: [costHeader: "1"]) { #expect($0.status == .tooManyRequests) }
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
        let middleware = try Self.middleware(observed: observed, cost: { request, _ in request.headers[costHeader].flatMap { Int($0) } ?? 1 })
        let app = Self.app(middleware, observed: observed)
        try await app.test(.router) { client async throws in
            try await client.execute(uri: "/", method: .get, headers: [costHeader: "-1"]) { response in
                #expect(response.status == .internalServerError)
                #expect(response.text == #"{"error":"Internal Server Error"}"#)
            }
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.integer(.xRateLimitRemaining) == 9)  // the failed request took nothing
            }
        }
        let errors = observed.logs.entries.filter { $0.level == .error }
        #expect(errors.count == 1)
        #expect(errors.first?.metadata["ratelimit.cost"] == "-1")
        let logged = "\(errors.first?.metadata["error"] ?? "")"
        #expect(logged.contains("invalid cost -1"))
        #expect(observed.metrics.counterTotal(label: RateLimitMetricLabels.requests, dimensions: [("policy", "default"), ("outcome", "error")]) == 1)
    }

    @Test("A negative cost never reaches the limiter, even one that would accept it")
    func negativeCostCheckedByMiddleware() async throws {
        struct Permissive: AsyncRateLimiter {
            let policy: BucketPolicy
            func acquire(_ key: ClientKey, cost: Int) async throws -> RateLimitDecision {
                RateLimitDecision(isAllowed: true, remaining: 10, limit: 10, retryAfterNanoseconds: 0, resetAfterNanoseconds: 0)
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
        let middleware = try RateLimitMiddleware<TestContext>(limiter: Unreachable(policy: tutorialPolicy()), metricsFactory: TestMetrics())
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

    // MARK: Header styles

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
            limiter: AtomicRateLimiter<ClientKey>(policy: BucketPolicy(capacity: 2, refill: 1, every: .seconds(10)), clock: clock),
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
                #expect(try parseRateLimitList(response.headers[.rateLimitPolicy]) == [
                    PolicyMember(name: "strict", parameters: ["q": 2, "w": 20]),
                    PolicyMember(name: "general", parameters: ["q": 10, "w": 5]),
                ])
                #expect(try parseRateLimitList(response.headers[.rateLimit]) == [
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
                #expect(try parseRateLimitList(response.headers[.rateLimit]) == [PolicyMember(name: "general", parameters: ["r": 6, "t": 2])])
            }
        }
    }

    // MARK: Observability

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
            observed.metrics.counterTotal(label: RateLimitMetricLabels.requests, dimensions: [("policy", "default"), ("outcome", outcome)])
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
        try await Self.app(try Self.middleware(allowedLogLevel: .debug, observed: chatty), observed: chatty).test(.router) { client async throws in
            try await client.execute(uri: "/", method: .get) { _ in }
        }
        #expect(chatty.logs.entries.map(\.level) == [.debug])
        #expect(chatty.logs.entries.first?.metadata["ratelimit.remaining"] == "9")
    }

    // MARK: Configuration errors

    @Test("Invalid configuration fails with a message naming the value")
    func invalidConfiguration() throws {
        let limiter = try AtomicRateLimiter<ClientKey>(policy: tutorialPolicy())
        func message(_ body: () throws -> Void) -> String? {
            do {
                try body()
                return nil
            } catch let error as RateLimitError {
                #expect(error.code == .invalidConfiguration)
                return error.message
            } catch {
                Issue.record("unexpected \(error)")
                return nil
            }
        }
        #expect(
            message { _ = try RateLimitMiddleware<TestContext>(limiter: limiter, name: "") }
                == #"invalid rate-limit policy name "": must be 1...64 printable ASCII characters"#
        )
        #expect(message { _ = try RateLimitMiddleware<TestContext>(limiter: limiter, name: "naïve") }?.contains("\"naïve\"") == true)
        #expect(
            message { _ = try RateLimitMiddleware<TestContext>(limiter: limiter, exemptPaths: ["health"]) }
                == #"invalid exempt path "health": must start with "/" and not end with one, such as "/health""#
        )
        #expect(message { _ = try RateLimitMiddleware<TestContext>(limiter: limiter, exemptPaths: ["/health/"]) }?.contains("\"/health/\"") == true)
        #expect(message { _ = try ClientKeyExtractor<TestContext>.remoteAddress(ipv6PrefixLength: 0) }?.contains("ipv6PrefixLength 0") == true)
        #expect(message { _ = try ClientKeyExtractor<TestContext>.remoteAddress(ipv6PrefixLength: 129) }?.contains("1...128") == true)
        #expect(message { _ = try ClientKeyExtractor<TestContext>.header(.authorization, maximumLength: 0) }?.contains("maximumLength 0") == true)

        // A structured-field Integer has at most 15 digits; a larger capacity cannot be advertised.
        let huge = try AtomicRateLimiter<ClientKey>(policy: BucketPolicy(capacity: 1_000_000_000_000_000, refill: 1, every: .nanoseconds(1)))
        #expect(message { _ = try RateLimitMiddleware<TestContext>(limiter: huge) }?.contains("999999999999999") == true)
        #expect(message { _ = try RateLimitMiddleware<TestContext>(limiter: huge, headers: .legacy) } == nil)
    }
}
