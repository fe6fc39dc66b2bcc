import RateLimit
import RateLimitTesting
import Testing

@testable import RateLimitRedis

/// Drives one key of a Redis limiter at scripted Redis times (µs) and checks every decision,
/// field by field, against a ``ReferenceBucket`` fed the time the script reports it used.
struct Probe {
    let limiter: RedisRateLimiter<String>
    let key: String
    private(set) var reference: ReferenceBucket
    /// The scripted time of the next request, in µs.
    var now: Int64

    init(_ limiter: RedisRateLimiter<String>, key: String, startingAt now: Int64 = 1_000_000) {
        self.limiter = limiter
        self.key = key
        self.reference = ReferenceBucket(policy: limiter.policy)
        self.now = now
    }

    /// Advances the scripted time.
    mutating func advance(microseconds: Int64) {
        self.now += microseconds
    }

    /// One request at the scripted time, checked against the reference; returns the decision for
    /// further, hand-computed checks.
    @discardableResult
    mutating func acquire(
        _ cost: Int = 1, _ what: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> RateLimitDecision {
        let (decision, used) = try await self.limiter.acquire(self.key, cost: cost, atMicroseconds: self.now)
        #expect(
            used == self.now, "\(what()): the script used \(used) µs, not the scripted \(self.now) µs",
            sourceLocation: sourceLocation)
        let expected = self.reference.acquire(cost: cost, at: used * 1000)
        #expect(
            decision == expected, "\(what()) at \(used) µs, cost \(cost): expected \(expected); got \(decision)",
            sourceLocation: sourceLocation)
        return decision
    }
}

/// Checks a decision against hand-computed values; `nil` skips a field.
func expectDecision(
    _ decision: RateLimitDecision,
    allowed: Bool,
    remaining: Int,
    retryAfter: Int64? = nil,
    resetAfter: Int64? = nil,
    exceedsCapacity: Bool = false,
    _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    var matches =
        decision.isAllowed == allowed && decision.remaining == remaining && decision.exceedsCapacity == exceedsCapacity
    if let retryAfter { matches = matches && decision.retryAfterNanoseconds == retryAfter }
    if let resetAfter { matches = matches && decision.resetAfterNanoseconds == resetAfter }
    #expect(
        matches,
        "\(what): expected allowed \(allowed), remaining \(remaining), retry \(retryAfter.map(String.init) ?? "any"), reset \(resetAfter.map(String.init) ?? "any"); got \(decision)",
        sourceLocation: sourceLocation
    )
}

/// A limiter on `server` for tests: scripted-time helpers never apply the failure policy.
func makeLimiter(
    _ server: RedisServer,
    _ policy: BucketPolicy,
    prefix: String = "test:",
    failurePolicy: RedisFailurePolicy<String> = .throwError,
    configure: (inout RedisConfiguration) -> Void = { _ in }
) throws -> RedisRateLimiter<String> {
    var configuration = server.configuration(prefix: prefix)
    configure(&configuration)
    return try RedisRateLimiter<String>(
        policy: policy, configuration: configuration, failurePolicy: failurePolicy, logger: quietLogger)
}

let ms: Int64 = 1_000_000
let s: Int64 = 1_000_000_000
/// Microseconds per millisecond and per second, for scripted times.
let msUs: Int64 = 1000
let sUs: Int64 = 1_000_000
