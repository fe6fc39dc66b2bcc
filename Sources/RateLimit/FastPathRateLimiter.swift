/// An engine with two ways to do less per decision: decide at a clock reading the caller took, and
/// through a ``BucketHandle`` that skips hashing and probing for a key used again and again.
///
/// ```swift
/// let limiter = try AtomicRateLimiter<Int>(policy: policy)
/// // One clock read for a batch of requests:
/// let now = limiter.now()
/// let decisions = batch.map { limiter.acquire($0.client, cost: 1, at: now) }
/// // A client-side throttle on one upstream, used by many tasks:
/// let upstream = limiter.handle(for: upstreamID)
/// if limiter.acquire(upstream, cost: 1).isAllowed { /* call it */ }
/// ```
///
/// Every decision made this way is one of the engine's decisions like any other — the same bucket,
/// exactness and bounds (the conformance suite runs through both paths); only the work to reach
/// the bucket differs. The three engines of this package conform; engines outside it cannot, since
/// only this module makes instants and handles (an instant that could be made from any number
/// could refill buckets early).
public protocol FastPathRateLimiter<Key>: BoundedRateLimiter {
    /// Reads the engine's clock.
    func now() -> RateLimitInstant

    /// Takes `cost` tokens from `key`'s bucket at `now`, a reading of this engine's clock (or of
    /// an engine's on the same clock: see ``RateLimitInstant``), instead of reading the clock.
    ///
    /// - Precondition: `cost >= 0`, and `now` came from this engine's clock; either violation
    ///   traps with a message before any state is touched.
    func acquire(_ key: Key, cost: Int, at now: RateLimitInstant) -> RateLimitDecision

    /// A handle for `key`: its hash and where its bucket is now (or would go). Creates no bucket.
    func handle(for key: Key) -> BucketHandle<Key>

    /// Takes `cost` tokens from the bucket of `handle`'s key, reading the clock.
    ///
    /// - Precondition: `cost >= 0`, and this engine made `handle`; either violation traps.
    func acquire(_ handle: BucketHandle<Key>, cost: Int) -> RateLimitDecision

    /// Takes `cost` tokens from the bucket of `handle`'s key at `now`.
    ///
    /// - Precondition: `cost >= 0`, this engine made `handle`, and `now` came from its clock.
    func acquire(_ handle: BucketHandle<Key>, cost: Int, at now: RateLimitInstant) -> RateLimitDecision
}

extension FastPathRateLimiter {
    /// Takes one token from `key`'s bucket at `now`.
    @inlinable
    public func acquire(_ key: Key, at now: RateLimitInstant) -> RateLimitDecision {
        self.acquire(key, cost: 1, at: now)
    }

    /// Takes one token from the bucket of `handle`'s key.
    @inlinable
    public func acquire(_ handle: BucketHandle<Key>) -> RateLimitDecision {
        self.acquire(handle, cost: 1)
    }

    /// Takes one token from the bucket of `handle`'s key at `now`.
    @inlinable
    public func acquire(_ handle: BucketHandle<Key>, at now: RateLimitInstant) -> RateLimitDecision {
        self.acquire(handle, cost: 1, at: now)
    }
}
