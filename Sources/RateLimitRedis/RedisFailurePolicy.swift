import RateLimit
import RedisClient

/// What a ``RedisRateLimiter`` answers when Redis cannot: no connection, no reply within the
/// command timeout, or an error reply.
///
/// | Policy | Decision while Redis is unavailable | Use when |
/// |---|---|---|
/// | ``failOpen`` | allowed, `remaining` = capacity | availability matters more than the limit |
/// | ``failClosed`` | denied, `retryAfter` = 1 s (or as given) | the limit protects something fragile |
/// | ``fallback(_:)`` | a local in-memory engine decides, per instance | the usual choice: limits stay, looser by the instance count |
/// | ``throwError`` | `acquire` throws `RateLimitError.Code.unavailable` | the caller handles it (for example, answers 503) |
///
/// Every decision taken without Redis is counted in the metric
/// `ratelimit_redis_unavailable_total` (dimensions `policy` and `reason`) and logged at debug
/// level; the switch to and from "unavailable" is logged once, as a warning and a notice.
/// Redis is asked again on the very next request, so decisions return to Redis as soon as it
/// answers. A request whose cost exceeds the capacity is denied under every policy, since no
/// state can change that answer.
public struct RedisFailurePolicy<Key: Hashable & Sendable>: Sendable, CustomStringConvertible {
    enum Behavior: Sendable {
        case open
        case closed(retryAfter: Duration)
        case fallback(any RateLimiter<Key>)
        case throwError
    }

    let behavior: Behavior

    private init(_ behavior: Behavior) {
        self.behavior = behavior
    }

    /// Allow every request while Redis is unavailable. The decision reports a full bucket:
    /// `remaining` is the capacity, `retryAfter` and `resetAfter` are zero.
    public static var failOpen: Self { Self(.open) }

    /// Deny every request while Redis is unavailable, with `retryAfter` (and `resetAfter`) of one
    /// second and `remaining` 0. A peek (cost 0) is still "allowed", as peeks always are.
    public static var failClosed: Self { Self(.closed(retryAfter: .seconds(1))) }

    /// Deny every request while Redis is unavailable, telling clients to retry after
    /// `retryAfter`: a whole number of nanoseconds, at least 1 ns (checked when the limiter is
    /// created).
    public static func failClosed(retryAfter: Duration) -> Self {
        Self(.closed(retryAfter: retryAfter))
    }

    /// Decide with `limiter`, a local in-memory engine, while Redis is unavailable.
    ///
    /// Each instance then limits on its own, so a client spread over N instances gets up to N
    /// times its limit until Redis returns; give the fallback a tighter policy to compensate.
    /// Buckets in Redis and in the fallback are independent: a client's usage during the outage
    /// is not carried over either way.
    public static func fallback(_ limiter: some RateLimiter<Key>) -> Self {
        Self(.fallback(limiter))
    }

    /// Throw `RateLimitError` with code `RateLimitError.Code.unavailable` while Redis is
    /// unavailable, and let the caller decide.
    public static var throwError: Self { Self(.throwError) }

    /// Makes a policy from its command-line name: `open`, `closed` or `fallback` (a local
    /// `AtomicRateLimiter` with `policy`), or `error` (``throwError``).
    ///
    /// - Throws: `RateLimitError.Code.invalidConfiguration` for any other name.
    public static func named(_ name: String, fallbackPolicy policy: BucketPolicy) throws(RateLimitError) -> Self {
        switch name {
        case "open": return .failOpen
        case "closed": return .failClosed
        case "fallback": return .fallback(try AtomicRateLimiter<Key>(policy: policy))
        case "error": return .throwError
        default:
            throw .invalidConfiguration(
                "Redis failure policy",
                "\"\(name)\"",
                allowed: "one of open, closed, fallback, error"
            )
        }
    }

    /// The policy's short name, also the `policy` dimension of the metrics:
    /// `open`, `closed`, `fallback` or `error`.
    public var name: String {
        switch self.behavior {
        case .open: "open"
        case .closed: "closed"
        case .fallback: "fallback"
        case .throwError: "error"
        }
    }

    /// A readable summary for logs, such as `fail closed (retry after 1.0 seconds)`.
    public var description: String {
        switch self.behavior {
        case .open: "fail open"
        case .closed(let retryAfter): "fail closed (retry after \(retryAfter))"
        case .fallback(let limiter): "fall back to a local \(type(of: limiter)) (\(limiter.policy))"
        case .throwError: "throw an error"
        }
    }

    func validate() throws(RateLimitError) {
        if case .closed(let retryAfter) = self.behavior {
            guard let nanoseconds = retryAfter.wholeNanoseconds, (1..<Int64.max).contains(nanoseconds) else {
                throw .invalidConfiguration(
                    "failClosed retryAfter",
                    retryAfter,
                    allowed: "a whole number of nanoseconds in 1 ns...\(Int64.max - 1) ns"
                )
            }
        }
    }

    /// The decision for a request Redis could not decide, or the error to throw.
    func decide(_ key: Key, cost: Int, policy: BucketPolicy, error: RedisClientError) throws(RateLimitError)
        -> RateLimitDecision
    {
        let capacity = policy.capacity
        switch self.behavior {
        case .fallback(let limiter):
            return limiter.acquire(key, cost: cost)
        case .throwError:
            throw error.rateLimitError
        case .open:
            return RateLimitDecision(
                isAllowed: cost <= capacity,
                remaining: capacity,
                limit: capacity,
                retryAfterNanoseconds: cost <= capacity ? 0 : .max,
                resetAfterNanoseconds: 0,
                exceedsCapacity: cost > capacity
            )
        case .closed(let retryAfter):
            let wait = retryAfter.saturatingNanoseconds // a whole number of ns: see validate()
            return RateLimitDecision(
                isAllowed: cost == 0,
                remaining: 0,
                limit: capacity,
                retryAfterNanoseconds: cost > capacity ? .max : (cost == 0 ? 0 : wait),
                resetAfterNanoseconds: wait,
                exceedsCapacity: cost > capacity
            )
        }
    }
}
