import RateLimit

/// A middleware's limiter, kept once, in the form it is fastest to call in.
///
/// An in-memory engine is called synchronously: a plain call through the existential costs a
/// third of an `async` one, and every request pays it. Both cases hold the existential inline,
/// so choosing costs no allocation.
enum MiddlewareLimiter: Sendable {
    case synchronous(any RateLimiter<ClientKey>)
    case asynchronous(any AsyncRateLimiter<ClientKey>)

    init(_ limiter: some AsyncRateLimiter<ClientKey>) {
        if let synchronous = limiter as? any RateLimiter<ClientKey> {
            self = .synchronous(synchronous)
        } else {
            self = .asynchronous(limiter)
        }
    }

    /// The limiter as the middleware's users gave it.
    var limiter: any AsyncRateLimiter<ClientKey> {
        switch self {
        case .synchronous(let limiter): limiter
        case .asynchronous(let limiter): limiter
        }
    }

    var policy: BucketPolicy {
        switch self {
        case .synchronous(let limiter): limiter.policy
        case .asynchronous(let limiter): limiter.policy
        }
    }

    /// Takes `cost` tokens from `key`'s bucket.
    ///
    /// - Precondition: `cost >= 0`; the middleware answers a negative cost before asking.
    @inline(__always)
    func acquire(_ key: ClientKey, cost: Int) async throws -> RateLimitDecision {
        switch self {
        case .synchronous(let limiter): try limiter.checkedAcquire(key, cost: cost)
        case .asynchronous(let limiter): try await limiter.acquire(key, cost: cost)
        }
    }
}
