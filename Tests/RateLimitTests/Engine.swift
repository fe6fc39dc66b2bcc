import RateLimit
import RateLimitTesting

/// The engines under test, so that every test runs on all three.
enum Engine: String, CaseIterable, Codable, Sendable, CustomStringConvertible {
    case mutex
    case atomic
    case sharded

    var description: String { self.rawValue }

    func make<Key: Hashable & Sendable>(
        _ policy: BucketPolicy,
        maxKeys: Int = RateLimiterDefaults.maxKeys,
        clock: any RateLimitClock = MonotonicClock(),
        keyType: Key.Type = Key.self
    ) throws -> any BoundedRateLimiter<Key> {
        switch self {
        case .mutex: try MutexRateLimiter<Key>(policy: policy, maxKeys: maxKeys, clock: clock)
        case .atomic: try AtomicRateLimiter<Key>(policy: policy, maxKeys: maxKeys, clock: clock)
        case .sharded: try ShardedRateLimiter<Key>(policy: policy, maxKeys: maxKeys, clock: clock)
        }
    }

    func conformance<Key: Hashable & Sendable>(makeKey: @escaping @Sendable (Int) -> Key) -> RateLimiterConformance<Key> {
        RateLimiterConformance(engine: self.rawValue, makeKey: makeKey) { policy, maxKeys, clock in
            try self.make(policy, maxKeys: maxKeys, clock: clock, keyType: Key.self)
        }
    }
}

extension RateLimiter {
    /// The synchronous `acquire`, for async test code (where `acquire` resolves to the async form).
    func acquireSynchronously(_ key: Key, cost: Int = 1) -> RateLimitDecision {
        self.acquire(key, cost: cost)
    }
}
