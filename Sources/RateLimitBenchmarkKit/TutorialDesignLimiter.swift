import RateLimit

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The tutorial's design, ported faithfully to Swift as the do-it-yourself baseline: a store that
/// takes a lock to find or create a client's bucket in an unbounded dictionary, and buckets that
/// each take their own lock and read wall-clock time as a floating-point number of seconds.
///
/// One decision does what the tutorial's middleware does per request: `allow_request()`, then
/// `get_remaining()` and `get_reset_time()` for the headers — three round trips through the
/// bucket's lock. Its known weaknesses are kept on purpose: wall-clock time, unbounded memory,
/// a lock per bucket, and `retryAfter` that points at the next interval boundary.
package final class TutorialDesignLimiter<Key: Hashable & Sendable>: RateLimiter, @unchecked Sendable {
    // @unchecked: `buckets` is only touched with `storeLock` held, each bucket's state only with
    // its own lock held.

    /// The tutorial's `TokenBucket`.
    final class TokenBucket {
        let lock = PlainMutex()
        let maxTokens: Int
        let refillRate: Int
        let interval: Double
        var tokens: Int
        var refilledAt: Double

        init(maxTokens: Int, refillRate: Int, interval: Double) {
            self.maxTokens = maxTokens
            self.refillRate = refillRate
            self.interval = interval
            self.tokens = maxTokens
            self.refilledAt = wallClockSeconds()
        }

        /// Adds tokens for whole intervals elapsed, advancing the timestamp by whole intervals.
        func refill() {
            let now = wallClockSeconds()
            let elapsed = now - self.refilledAt
            if elapsed >= self.interval {
                let refills = Int(elapsed / self.interval)
                self.tokens = min(self.maxTokens, self.tokens + refills * self.refillRate)
                self.refilledAt += Double(refills) * self.interval
            }
        }

        func allowRequest(_ tokens: Int) -> Bool {
            self.lock.withLock {
                self.refill()
                if self.tokens >= tokens {
                    self.tokens -= tokens
                    return true
                }
                return false
            }
        }

        func remaining() -> Int {
            self.lock.withLock {
                self.refill()
                return self.tokens
            }
        }

        func resetTime() -> Double {
            self.lock.withLock { self.refilledAt + self.interval }
        }
    }

    package let policy: BucketPolicy
    private let storeLock = PlainMutex()
    private var buckets: [Key: TokenBucket] = [:]
    private let interval: Double

    /// Creates the limiter; like the tutorial's, it keeps every client it ever saw.
    package init(policy: BucketPolicy) {
        self.policy = policy
        self.interval = policy.interval / .seconds(1)
    }

    /// The number of buckets held: it only grows.
    package var bucketCount: Int {
        self.storeLock.withLock { self.buckets.count }
    }

    package func acquire(_ key: Key, cost: Int) -> RateLimitDecision {
        let bucket = self.storeLock.withLock {
            if let bucket = self.buckets[key] {
                return bucket
            }
            let bucket = TokenBucket(
                maxTokens: self.policy.capacity,
                refillRate: self.policy.refill,
                interval: self.interval
            )
            self.buckets[key] = bucket
            return bucket
        }
        let allowed = bucket.allowRequest(cost)
        let remaining = bucket.remaining()
        let untilReset = max(0, bucket.resetTime() - wallClockSeconds())
        let nanoseconds = Int64(untilReset * 1e9)
        return RateLimitDecision(
            isAllowed: allowed,
            remaining: remaining,
            limit: self.policy.capacity,
            retryAfterNanoseconds: allowed ? 0 : max(nanoseconds, 1_000_000_000),
            resetAfterNanoseconds: nanoseconds
        )
    }

    package func acquire(_ key: Key, cost: Int) async throws -> RateLimitDecision {
        try self.checkedAcquire(key, cost: cost)
    }
}

/// `time.time()`: wall-clock seconds.
private func wallClockSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// A default (non-adaptive) pthread mutex, like Python's `threading.Lock`.
final class PlainMutex: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(self.mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(self.mutex)
        self.mutex.deallocate()
    }

    func withLock<Result>(_ body: () throws -> Result) rethrows -> Result {
        pthread_mutex_lock(self.mutex)
        defer { pthread_mutex_unlock(self.mutex) }
        return try body()
    }
}
