import RateLimit

/// A middleware's limiter, kept once, in the form it is fastest to call in.
///
/// An in-memory engine is called synchronously: a plain call through the existential costs a
/// third of an `async` one, and every request pays it. This package's engines are kept as their
/// concrete types, so that their `@inlinable` decision is specialised for ``ClientKey`` here
/// (about 70 ns less per request than the generic call through the existential). Every case
/// holds a reference or the existential inline, so choosing costs no allocation.
enum MiddlewareLimiter: Sendable {
    case atomic(AtomicRateLimiter<ClientKey>)
    case sharded(ShardedRateLimiter<ClientKey>)
    case mutex(MutexRateLimiter<ClientKey>)
    case synchronous(any RateLimiter<ClientKey>)
    case asynchronous(any AsyncRateLimiter<ClientKey>)

    init(_ limiter: some AsyncRateLimiter<ClientKey>) {
        if let atomic = limiter as? AtomicRateLimiter<ClientKey> {
            self = .atomic(atomic)
        } else if let sharded = limiter as? ShardedRateLimiter<ClientKey> {
            self = .sharded(sharded)
        } else if let mutex = limiter as? MutexRateLimiter<ClientKey> {
            self = .mutex(mutex)
        } else if let synchronous = limiter as? any RateLimiter<ClientKey> {
            self = .synchronous(synchronous)
        } else {
            self = .asynchronous(limiter)
        }
    }

    /// The limiter as the middleware's users gave it.
    var limiter: any AsyncRateLimiter<ClientKey> {
        switch self {
        case .atomic(let limiter): limiter
        case .sharded(let limiter): limiter
        case .mutex(let limiter): limiter
        case .synchronous(let limiter): limiter
        case .asynchronous(let limiter): limiter
        }
    }

    var policy: BucketPolicy {
        self.limiter.policy
    }

    /// Whether the limiter decides synchronously (an in-memory engine).
    var isSynchronous: Bool {
        if case .asynchronous = self { false } else { true }
    }

    /// Takes `cost` tokens from `key`'s bucket without suspending, or returns `nil` (taking
    /// nothing) when the limiter answers asynchronously.
    ///
    /// - Precondition: `cost >= 0`; the middleware answers a negative cost before asking.
    @inline(__always)
    func acquireSynchronously(_ key: ClientKey, cost: Int) -> RateLimitDecision? {
        switch self {
        case .atomic(let limiter): limiter.acquire(key, cost: cost)
        case .sharded(let limiter): limiter.acquire(key, cost: cost)
        case .mutex(let limiter): limiter.acquire(key, cost: cost)
        case .synchronous(let limiter): limiter.acquire(key, cost: cost)
        case .asynchronous: nil
        }
    }
}
