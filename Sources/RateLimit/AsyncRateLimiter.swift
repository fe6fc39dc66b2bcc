/// A rate limiter whose decisions may need to wait, for example on a network round trip to a
/// shared store.
///
/// Every ``RateLimiter`` is an `AsyncRateLimiter`, so code written against this protocol — such as
/// HTTP middleware — takes any in-memory engine as well as a distributed one.
public protocol AsyncRateLimiter<Key>: Sendable {
    /// What identifies a client: an IP address, an API key, a user id.
    associatedtype Key: Hashable & Sendable

    /// The policy every bucket of this limiter follows.
    var policy: BucketPolicy { get }

    /// Takes `cost` tokens from `key`'s bucket if it holds that many, all or nothing.
    ///
    /// - Parameters:
    ///   - key: The client.
    ///   - cost: Tokens this request needs, at least 0. `0` reads the bucket without changing it.
    ///     A cost above the capacity is denied with ``RateLimitDecision/exceedsCapacity`` set.
    /// - Throws: ``RateLimitError`` with code ``RateLimitError/Code/invalidCost`` when `cost` is
    ///   negative, or an engine-specific error when the decision cannot be made (a shared store
    ///   that cannot be reached and no fallback configured).
    func acquire(_ key: Key, cost: Int) async throws -> RateLimitDecision
}

extension AsyncRateLimiter {
    /// Takes one token from `key`'s bucket if it has one.
    @inlinable
    public func acquire(_ key: Key) async throws -> RateLimitDecision {
        try await self.acquire(key, cost: 1)
    }
}
