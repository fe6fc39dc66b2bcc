import RateLimit
import Synchronization

/// An engine's fast paths (`FastPathRateLimiter`) behind its plain `acquire`, so that the whole
/// conformance suite — scenarios on scripted clocks, contention, eviction — runs through them:
///
/// ```swift
/// RateLimiterConformance<Int>(engine: "mine, handles", makeKey: { $0 }) { policy, maxKeys, clock in
///     FastPathDecisions(try MyRateLimiter(policy: policy, maxKeys: maxKeys, clock: clock), path: .handles)
/// }
/// ```
///
/// With ``FastPath/handles`` a key's first decision goes through a handle made before it has a
/// bucket (its hint the home slot); every later one through a handle made right after that first
/// decision (its hint the slot where the bucket was, displaced or not), kept for the engine's
/// life: through growth, eviction, reuse of its bucket's memory for other keys and its own
/// return, so stale handles are exercised as well as fresh ones.
public final class FastPathDecisions<Base: FastPathRateLimiter>: BoundedRateLimiter, @unchecked Sendable {
    // @unchecked: each stripe's handles are only touched with its lock held.

    /// The engine under test.
    public let base: Base
    /// The path every decision takes.
    public let path: FastPath
    /// Handles by key, striped so that looking one up serialises few of the decisions under test.
    private let stripes = (0..<16).map { _ in Stripe() }
    /// Alternates the handle forms whatever the costs (a counter, so that one hot key at cost 1
    /// takes both).
    private let calls = Atomic<Int>(0)

    /// Wraps `base`.
    public init(_ base: Base, path: FastPath) {
        self.base = base
        self.path = path
    }

    public var policy: BucketPolicy { self.base.policy }
    public var maxKeys: Int { self.base.maxKeys }
    public var statistics: RateLimiterStatistics { self.base.statistics }

    /// Decides through ``path``.
    public func acquire(_ key: Base.Key, cost: Int) -> RateLimitDecision {
        switch self.path {
        case .instants:
            return self.base.acquire(key, cost: cost, at: self.base.now())
        case .handles:
            let stripe = self.stripes[key.hashValue & (self.stripes.count - 1)]
            let kept = stripe.lock.withLock { stripe.handles[key] }
            let handle = kept ?? self.base.handle(for: key)
            // Relaxed: only the alternation matters.
            let decision =
                self.calls.wrappingAdd(1, ordering: .relaxed).oldValue & 1 == 0
                ? self.base.acquire(handle, cost: cost) : self.base.acquire(handle, cost: cost, at: self.base.now())
            if kept == nil {
                // Made after the first decision: the hint is where that decision left the bucket.
                let found = self.base.handle(for: key)
                stripe.lock.withLock { stripe.handles[key] = stripe.handles[key] ?? found }
            }
            return decision
        }
    }

    /// One lock and the handles it guards.
    private final class Stripe: @unchecked Sendable {
        // @unchecked: `handles` is only touched with `lock` held.
        let lock = ConditionLock()
        var handles: [Base.Key: BucketHandle<Base.Key>] = [:]
    }

    /// Decides through ``path``, throwing on a negative cost.
    public func acquire(_ key: Base.Key, cost: Int) async throws -> RateLimitDecision {
        try self.checkedAcquire(key, cost: cost)
    }
}

/// Which fast path ``FastPathDecisions`` sends every decision through.
public enum FastPath: Sendable, CustomStringConvertible {
    /// `acquire(_:cost:at:)` with the key and a reading from `now()`.
    case instants
    /// A handle kept per key (see ``FastPathDecisions``): `acquire(_:cost:)` and
    /// `acquire(_:cost:at:)` with a reading from `now()`, in turn.
    case handles

    public var description: String {
        switch self {
        case .instants: "instants"
        case .handles: "handles"
        }
    }
}
