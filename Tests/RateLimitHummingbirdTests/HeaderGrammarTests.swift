import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MetricsTestKit
import RateLimit
import RateLimitHummingbird
import Testing

/// Every header the middleware sends, checked against its grammar with independent parsers:
/// RFC 9651 structured fields for the IETF draft's fields (swift-http-structured-headers), and
/// RFC 9110 `delay-seconds` (`1*DIGIT`) for `Retry-After`.
@Suite("Header grammar")
struct HeaderGrammarTests {
    struct Case: Sendable, CustomStringConvertible {
        var capacity: Int
        var refill: Int
        var interval: Duration
        var mode: RefillMode
        /// Seconds to refill from empty, rounded up: the expected `w`.
        var window: Int64

        var description: String { "\(self.capacity)/\(self.refill) per \(self.interval) \(self.mode)" }
    }

    static let cases = [
        Case(capacity: 10, refill: 2, interval: .seconds(1), mode: .smooth, window: 5),
        Case(capacity: 10, refill: 2, interval: .seconds(1), mode: .stepped, window: 5),
        Case(capacity: 100, refill: 1, interval: .seconds(60), mode: .smooth, window: 6000),
        Case(capacity: 7, refill: 3, interval: .milliseconds(500), mode: .smooth, window: 2), // 7/6 s
        Case(capacity: 7, refill: 3, interval: .milliseconds(500), mode: .stepped, window: 2), // 3 intervals
        Case(capacity: 1, refill: 1_000_000, interval: .seconds(1), mode: .smooth, window: 1), // 1 µs
        Case(capacity: 5, refill: 1, interval: .seconds(86_400), mode: .stepped, window: 432_000),
    ]

    static func isDelaySeconds(_ value: String?) -> Bool {
        guard let value, !value.isEmpty else { return false }
        return value.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    @Test("RateLimit-Policy and RateLimit parse as the draft's Lists, with consistent values", arguments: Self.cases)
    func draftGrammar(policyCase: Case) async throws {
        let clock = ManualClock()
        let policy = try BucketPolicy(
            capacity: policyCase.capacity, refill: policyCase.refill, every: policyCase.interval, mode: policyCase.mode)
        let middleware = try RateLimitMiddleware<TestContext>(
            limiter: MutexRateLimiter<ClientKey>(policy: policy, clock: clock),
            name: "api",
            metricsFactory: TestMetrics()
        )
        let router = Router(context: TestContext.self)
        router.add(middleware: TestPeerMiddleware())
        router.add(middleware: middleware)
        router.get("/") { _, _ in "ok" }
        try await Application(router: router, logger: quietLogger).test(.router) { client async throws in
            var denied = 0
            for step in 0..<(policyCase.capacity + 3) {
                let status = try await client.execute(uri: "/", method: .get) { response async throws in
                    let policies = try parseRateLimitList(response.headers[.rateLimitPolicy])
                    #expect(
                        policies == [
                            PolicyMember(
                                name: "api", parameters: ["q": Int64(policyCase.capacity), "w": policyCase.window])
                        ])

                    let states = try parseRateLimitList(response.headers[.rateLimit])
                    let state = try #require(states.count == 1 ? states.first : nil)
                    #expect(state.name == "api") // names a policy that RateLimit-Policy lists
                    #expect(Set(state.parameters.keys) == ["r", "t"])
                    let remaining = try #require(state.parameters["r"])
                    let reset = try #require(state.parameters["t"])
                    #expect((0...Int64(policyCase.capacity)).contains(remaining))
                    #expect((0...policyCase.window).contains(reset))

                    // The legacy headers say the same, as bare non-negative integers.
                    #expect(response.headers[.xRateLimitRemaining] == String(remaining))
                    #expect(response.headers[.xRateLimitReset] == String(reset))
                    #expect(response.headers[.xRateLimitLimit] == String(policyCase.capacity))

                    if response.status == .tooManyRequests {
                        #expect(Self.isDelaySeconds(response.headers[.retryAfter]))
                        #expect((Int64(response.headers[.retryAfter] ?? "") ?? 0) >= 1)
                    } else {
                        #expect(response.headers[.retryAfter] == nil)
                    }
                    return response.status
                }
                if status == .tooManyRequests { denied += 1 }
                // Let some time pass between some requests so that `t` takes varied values.
                if step % 3 == 2 { try clock.advance(by: .milliseconds(137)) }
            }
            #expect(denied >= 1)
        }
    }

    @Test("Policy names are escaped as structured-field Strings")
    func escapedName() async throws {
        let name = #"tier "gold" \ 1"#
        let middleware = try RateLimitMiddleware<TestContext>(
            limiter: AtomicRateLimiter<ClientKey>(policy: tutorialPolicy()),
            name: name,
            metricsFactory: TestMetrics()
        )
        let router = Router(context: TestContext.self)
        router.add(middleware: TestPeerMiddleware())
        router.add(middleware: middleware)
        router.get("/") { _, _ in "ok" }
        try await Application(router: router, logger: quietLogger).test(.router) { client async throws in
            try await client.execute(uri: "/", method: .get) { response async throws in
                #expect(response.headers[.rateLimitPolicy] == #""tier \"gold\" \\ 1";q=10;w=5"#)
                #expect(try parseRateLimitList(response.headers[.rateLimitPolicy]).first?.name == name)
                #expect(try parseRateLimitList(response.headers[.rateLimit]).first?.name == name)
            }
        }
    }
}
