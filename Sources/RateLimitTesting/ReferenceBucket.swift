import RateLimit

/// A deliberately plain model of one token bucket — the textbook algorithm in 128-bit integers,
/// sharing no code with the engines — against which the conformance suite checks every decision.
///
/// - Smooth: the bucket holds `tokens × interval` "scaled tokens" and earns `refill` of them per
///   nanosecond, so fractional rates stay exact.
/// - Stepped: the bucket holds whole tokens and earns `refill` of them at each whole `interval`
///   since its refill phase started — the moment it last dropped below capacity.
public struct ReferenceBucket: Sendable {
    /// The policy being modelled.
    public let policy: BucketPolicy
    private let capacity: Int128
    private let refill: Int128
    private let interval: Int128
    // Smooth: tokens × interval, and when they were last brought up to date.
    private var scaledTokens: Int128
    private var updatedAt: Int64?
    // Stepped: whole tokens, and the start of the current refill phase (nil while full).
    private var tokens: Int128
    private var phaseStart: Int64?

    /// A full bucket.
    public init(policy: BucketPolicy) {
        self.policy = policy
        self.capacity = Int128(policy.capacity)
        self.refill = Int128(policy.refill)
        self.interval = policy.interval.totalNanoseconds
        self.scaledTokens = self.capacity * self.interval
        self.tokens = self.capacity
    }

    /// Whether the bucket is full at `now` (without changing it).
    public func isFull(at now: Int64) -> Bool {
        var copy = self
        copy.bringUpToDate(now)
        return copy.policy.mode == .smooth ? copy.scaledTokens == copy.capacity * copy.interval : copy.phaseStart == nil
    }

    /// The decision for a request of `cost` tokens at `now` (nanoseconds, non-decreasing).
    public mutating func acquire(cost: Int, at now: Int64) -> RateLimitDecision {
        precondition(cost >= 0)
        self.bringUpToDate(now)
        let cost = Int128(cost)
        switch self.policy.mode {
        case .smooth:
            let needed = cost * self.interval
            let full = self.capacity * self.interval
            if cost > self.capacity {
                return self.decision(
                    allowed: false, remaining: self.scaledTokens / self.interval, retryAfter: nil,
                    resetAfter: ceil(full - self.scaledTokens, self.refill))
            }
            if self.scaledTokens >= needed {
                self.scaledTokens -= needed
                return self.decision(
                    allowed: true, remaining: self.scaledTokens / self.interval, retryAfter: 0,
                    resetAfter: ceil(full - self.scaledTokens, self.refill))
            }
            return self.decision(
                allowed: false,
                remaining: self.scaledTokens / self.interval,
                retryAfter: ceil(needed - self.scaledTokens, self.refill),
                resetAfter: ceil(full - self.scaledTokens, self.refill)
            )
        case .stepped:
            if cost > self.capacity {
                return self.decision(
                    allowed: false, remaining: self.tokens, retryAfter: nil,
                    resetAfter: self.steppedTime(until: self.capacity, now: now))
            }
            if self.tokens >= cost {
                if cost > 0 {
                    self.tokens -= cost
                    if self.phaseStart == nil { self.phaseStart = now }
                }
                return self.decision(
                    allowed: true, remaining: self.tokens, retryAfter: 0,
                    resetAfter: self.steppedTime(until: self.capacity, now: now))
            }
            return self.decision(
                allowed: false,
                remaining: self.tokens,
                retryAfter: self.steppedTime(until: cost, now: now),
                resetAfter: self.steppedTime(until: self.capacity, now: now)
            )
        @unknown default:
            fatalError("unknown refill mode \(self.policy.mode)")
        }
    }

    private mutating func bringUpToDate(_ now: Int64) {
        switch self.policy.mode {
        case .smooth:
            if let updatedAt, now > updatedAt {
                self.scaledTokens = min(
                    self.capacity * self.interval, self.scaledTokens + Int128(now - updatedAt) * self.refill)
            }
            self.updatedAt = max(now, self.updatedAt ?? now)
        case .stepped:
            guard let start = self.phaseStart, now > start else { return }
            let steps = Int128(now - start) / self.interval
            self.tokens = min(self.capacity, self.tokens + steps * self.refill)
            self.phaseStart = self.tokens == self.capacity ? nil : start + Int64(steps * self.interval)
        @unknown default:
            fatalError("unknown refill mode \(self.policy.mode)")
        }
    }

    /// Nanoseconds until the stepped bucket holds `wanted` tokens.
    private func steppedTime(until wanted: Int128, now: Int64) -> Int128 {
        guard wanted > self.tokens, let start = self.phaseStart else { return 0 }
        let steps = ceil(wanted - self.tokens, self.refill)
        return Int128(start) + steps * self.interval - Int128(now)
    }

    private func decision(allowed: Bool, remaining: Int128, retryAfter: Int128?, resetAfter: Int128)
        -> RateLimitDecision
    {
        RateLimitDecision(
            isAllowed: allowed,
            remaining: Int(remaining),
            limit: self.policy.capacity,
            retryAfterNanoseconds: retryAfter.map { Int64($0) } ?? .max,
            resetAfterNanoseconds: Int64(resetAfter),
            exceedsCapacity: retryAfter == nil
        )
    }
}

private func ceil(_ a: Int128, _ b: Int128) -> Int128 {
    a <= 0 ? 0 : (a + b - 1) / b
}
