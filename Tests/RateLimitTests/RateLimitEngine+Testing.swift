import RateLimit
import RateLimitTesting

extension RateLimitEngine {
    /// The conformance suite for this engine, making each limiter through the registry.
    func conformance<Key: Hashable & Sendable>(makeKey: @escaping @Sendable (Int) -> Key) -> RateLimiterConformance<Key>
    {
        RateLimiterConformance(engine: self.rawValue, makeKey: makeKey) { policy, maxKeys, clock in
            try self.make(policy: policy, maxKeys: maxKeys, clock: clock, keyType: Key.self)
        }
    }
}

extension RateLimiter {
    /// The synchronous `acquire`, for async test code (where `acquire` resolves to the async form).
    func acquireSynchronously(_ key: Key, cost: Int = 1) -> RateLimitDecision {
        self.acquire(key, cost: cost)
    }
}
