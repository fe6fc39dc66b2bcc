import Foundation
import Hummingbird
import HummingbirdTesting
import MetricsTestKit
import RateLimit
import Testing

@testable import RateLimitHummingbird

/// What the per-request savings rest on: decision timing and its sampler, the digit writer of the
/// header values, the exempt-path lookup at both sizes, and every form a limiter is kept in.
@Suite("Middleware cost")
struct MiddlewareCostTests {
    // MARK: Decision timing

    /// Runs `body` on a thread of its own: the sampler's state is per thread and starts at 0 on
    /// every new thread, and no other code draws from it, so what `body` sees is the same on
    /// every run (the bounds below are checked against a fixed sequence; they cannot flake).
    static func onFreshThread<Result: Sendable>(_ body: @escaping @Sendable () -> Result) async -> Result {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: body()) }.start()
        }
    }

    @Test("oneIn(64) samples about 1 in 64; all and off neither skip nor move the draw")
    func samplerRate() async throws {
        let sampled = try DecisionTiming.oneIn(64)
        let calls = 64_000
        let plain = await Self.onFreshThread {
            (1...calls).filter { _ in sampled.timesNextDecision() }
        }
        // 1,000 expected; a binomial's standard deviation here is ~31, so 800...1200 is over six
        // of them for a pseudo-random draw, and the sequence is fixed anyway (see onFreshThread).
        #expect((800...1200).contains(plain.count), "\(plain.count) of \(calls)")
        let (interleaved, allPicks, offPicks) = await Self.onFreshThread {
            var picks: [Int] = []
            var allPicks = 0
            var offPicks = 0
            for call in 1...calls {
                if DecisionTiming.all.timesNextDecision() { allPicks += 1 }
                if DecisionTiming.off.timesNextDecision() { offPicks += 1 }
                if sampled.timesNextDecision() { picks.append(call) }
            }
            return (picks, allPicks, offPicks)
        }
        #expect(allPicks == calls)
        #expect(offPicks == 0)
        #expect(interleaved == plain)
    }

    @Test("Two samplers alternating on one thread (nested middlewares) are each sampled at the rate")
    func nestedSamplers() async throws {
        let sampled = try DecisionTiming.oneIn(64)
        let (outer, inner) = await Self.onFreshThread {
            var outer = 0
            var inner = 0
            for _ in 1...32_000 {
                if sampled.timesNextDecision() { outer += 1 }
                if sampled.timesNextDecision() { inner += 1 }
            }
            return (outer, inner)
        }
        // 500 expected each (σ ≈ 22). A count shared by both would give one of them none: it
        // would only ever see odd values.
        #expect((350...650).contains(outer), "outer \(outer)")
        #expect((350...650).contains(inner), "inner \(inner)")
    }

    @Test("automatic times every decision of an asynchronous limiter and one in 64 of an in-memory engine")
    func automaticResolution() throws {
        #expect(DecisionTiming.automatic.resolved(synchronousLimiter: false) == .all)
        #expect(DecisionTiming.automatic.resolved(synchronousLimiter: true) == (try DecisionTiming.oneIn(64)))
        #expect(try DecisionTiming.oneIn(8).resolved(synchronousLimiter: false) == (try DecisionTiming.oneIn(8)))
        #expect(DecisionTiming.off.resolved(synchronousLimiter: true) == .off)
        #expect(try DecisionTiming.oneIn(1) == .all)
        #expect(
            [DecisionTiming.automatic, .all, .off, try .oneIn(16)].map(\.description)
                == ["automatic", "all", "off", "one in 16"])
    }

    @Test(
        "A sampling period that is not a power of two in 1...65536 is refused, naming it",
        arguments: [0, 3, -64, 131_072])
    func invalidPeriod(period: Int) {
        #expect {
            _ = try DecisionTiming.oneIn(period)
        } throws: { error in
            let error = error as? RateLimitError
            return error?.code == .invalidConfiguration
                && "\(error!)".contains("invalid decision timing period \(period): must be a power of two in 1...65536")
        }
    }

    @Test(
        "The timer records every decision with .all, none with .off, and every one of an asynchronous limiter by default"
    )
    func timerFollowsTiming() async throws {
        struct Remote: AsyncRateLimiter {
            let engine: AtomicRateLimiter<ClientKey>
            var policy: BucketPolicy { self.engine.policy }
            func acquire(_ key: ClientKey, cost: Int) async throws -> RateLimitDecision {
                try await self.engine.acquire(key, cost: cost)
            }
        }
        for (timing, expected) in [(DecisionTiming.all, 15), (.off, 0), (.automatic, 15)] {
            let metrics = TestMetrics()
            let engine = try AtomicRateLimiter<ClientKey>(policy: tutorialPolicy(), clock: ManualClock())
            let limiter: any AsyncRateLimiter<ClientKey> = timing == .automatic ? Remote(engine: engine) : engine
            let middleware = try RateLimitMiddleware<TestContext>(
                limiter: limiter, metricsFactory: metrics, decisionTiming: timing)
            try await RouterTests.app(middleware).test(.router) { client async throws in
                for _ in 1...15 {
                    try await client.execute(uri: "/", method: .get) { _ in }
                }
            }
            let timer = try metrics.expectTimer(RateLimitMetricLabels.decisionDuration, [("policy", "default")])
            #expect(timer.values.count == expected, "\(timing)")
            #expect(timer.values.allSatisfy { $0 >= 0 })
        }
    }

    // MARK: Header values

    @Test("Decimal values are written digit for digit, as String(_:) would, up to the largest Int64")
    func decimalDigits() {
        var values: [Int64] = [0, 1, 9, 10, 11, 99, 100, 12_345, RateLimitHeaders.maximumStructuredInteger, .max]
        var power: Int64 = 1
        while power <= Int64.max / 10 {
            power *= 10
            values += [power - 1, power, power + 1]
        }
        for value in values {
            #expect(RateLimitHeaders.decimal(value) == String(value))
            #expect(RateLimitHeaders.digitCount(value) == String(value).utf8.count)
        }
        // No decision reports a negative count; if one did, the header says 0, never "-".
        #expect(RateLimitHeaders.decimal(-5) == "0")
    }

    @Test("The RateLimit member is built in one buffer: name, r and t, at any width")
    func stateValue() throws {
        let headers = try RateLimitHeaders(style: .both, policyName: #"pro "tier""#, policy: tutorialPolicy())
        #expect(headers.stateValue(remaining: 0, reset: 0) == #""pro \"tier\"";r=0;t=0"#)
        #expect(
            headers.stateValue(remaining: 999_999_999_999_999, reset: 1_000_000)
                == #""pro \"tier\"";r=999999999999999;t=1000000"#)
    }

    // MARK: Exempt paths

    @Test("Exempt paths are found whether scanned (few) or hashed (many)", arguments: [2, ExemptPaths.scanLimit + 5])
    func exemptPathsAtBothSizes(count: Int) async throws {
        let paths = Set((0..<count - 1).map { "/internal/probe-\($0)" } + ["/health"])
        let middleware = try RateLimitMiddleware<TestContext>(
            limiter: try AtomicRateLimiter<ClientKey>(
                policy: try BucketPolicy(capacity: 1, refill: 1, every: .seconds(60)), clock: ManualClock()),
            exemptPaths: paths,
            metricsFactory: TestMetrics()
        )
        try await RouterTests.app(middleware).test(.router) { client async throws in
            for _ in 1...3 {
                // Exempt: never limited, with or without a trailing slash or a query.
                for uri in ["/health", "/health/", "/health?verbose=1"] {
                    try await client.execute(uri: uri, method: .get) { response in
                        #expect(response.status == .ok)
                        #expect(response.headers[.xRateLimitRemaining] == nil)
                    }
                }
            }
            // Not exempt: a prefix, a longer path and a path of the same length all take tokens.
            try await client.execute(uri: "/", method: .get) { #expect($0.status == .ok) }
            for uri in ["/healt", "/health/x", "/hea1th"] {
                try await client.execute(uri: uri, method: .get) { #expect($0.status == .tooManyRequests) }
            }
        }
    }

    // MARK: Every form of limiter

    @Test("A third-party synchronous engine is called without suspending and decides like the built-in ones")
    func synchronousExistential() async throws {
        /// Wraps an engine in a type the middleware does not know: the `.synchronous` form.
        final class Wrapped: RateLimiter, Sendable {
            let engine: AtomicRateLimiter<ClientKey>
            init(_ engine: AtomicRateLimiter<ClientKey>) { self.engine = engine }
            var policy: BucketPolicy { self.engine.policy }
            func acquire(_ key: ClientKey, cost: Int) -> RateLimitDecision { self.engine.acquire(key, cost: cost) }
            func acquire(_ key: ClientKey, cost: Int) async throws -> RateLimitDecision {
                Issue.record("the middleware awaited a synchronous engine")
                return try self.checkedAcquire(key, cost: cost)
            }
        }
        let wrapped = Wrapped(try AtomicRateLimiter<ClientKey>(policy: tutorialPolicy(), clock: ManualClock()))
        #expect(MiddlewareLimiter(wrapped).acquireSynchronously(.unidentified, cost: 0) != nil)
        let middleware = try RateLimitMiddleware<TestContext>(limiter: wrapped, metricsFactory: TestMetrics())
        let statuses = try await RouterTests.app(middleware).test(.router) { client async throws in
            var statuses: [HTTPResponse.Status] = []
            for _ in 1...15 {
                statuses.append(try await client.execute(uri: "/", method: .get) { $0.status })
            }
            return statuses
        }
        #expect(statuses == Array(repeating: .ok, count: 10) + Array(repeating: .tooManyRequests, count: 5))
    }

    @Test("Each built-in engine is kept as its concrete type; anything else by its protocol")
    func limiterForms() throws {
        struct Remote: AsyncRateLimiter {
            let policy: BucketPolicy
            func acquire(_ key: ClientKey, cost: Int) async throws -> RateLimitDecision {
                throw RateLimitError(code: .unavailable, message: "not called")
            }
        }
        let policy = try tutorialPolicy()
        for engine in RateLimitEngine.allCases {
            let form = MiddlewareLimiter(try engine.make(policy: policy, clock: ManualClock(), keyType: ClientKey.self))
            switch (engine, form) {
            case (.atomic, .atomic), (.sharded, .sharded), (.mutex, .mutex): break
            default: Issue.record("\(engine) kept as \(form)")
            }
            #expect(form.isSynchronous)
        }
        let remote = MiddlewareLimiter(Remote(policy: policy))
        #expect(!remote.isSynchronous)
        #expect(remote.acquireSynchronously(.unidentified, cost: 1) == nil)
    }
}
