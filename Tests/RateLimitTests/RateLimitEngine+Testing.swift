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

extension RateLimitEngine {
    /// The conformance suite for this engine's fast paths.
    func fastPathConformance<Key: Hashable & Sendable>(
        path: FastPath,
        makeKey: @escaping @Sendable (Int) -> Key
    ) -> RateLimiterConformance<Key> {
        RateLimiterConformance(engine: "\(self.rawValue) (\(path))", makeKey: makeKey) { policy, maxKeys, clock in
            let base = try self.make(policy: policy, maxKeys: maxKeys, clock: clock, keyType: Key.self)
            return fastPathDecisions(base, path: path)
        }
    }
}

/// Opens the engine existential, so that ``FastPathDecisions`` wraps its concrete type.
func fastPathDecisions<Engine: FastPathRateLimiter>(
    _ base: Engine, path: FastPath
) -> any BoundedRateLimiter<Engine.Key> {
    FastPathDecisions(base, path: path)
}
