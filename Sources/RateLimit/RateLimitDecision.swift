/// The answer to one ``RateLimiter/acquire(_:cost:)`` call.
///
/// A decision describes the bucket *after* the request: `remaining` already accounts for the
/// tokens an allowed request took, and a denied request takes nothing.
public struct RateLimitDecision: Hashable, Sendable, CustomStringConvertible {
    /// Whether the request was admitted (its cost was taken from the bucket).
    public let isAllowed: Bool

    /// Tokens left in the bucket after this request, in `0...limit`.
    public let remaining: Int

    /// The bucket's capacity: the largest burst a client may send.
    public let limit: Int

    /// Nanoseconds until a request of the same cost would be admitted: `0` when allowed,
    /// `Int64.max` when the cost exceeds the capacity (see ``exceedsCapacity``).
    public let retryAfterNanoseconds: Int64

    /// Nanoseconds until the bucket is full again (`0` when it is full now).
    public let resetAfterNanoseconds: Int64

    /// Whether the request asked for more tokens than the bucket can ever hold: it is denied
    /// now and would be denied at any later time.
    public let exceedsCapacity: Bool

    /// Creates a decision. Engines normally make decisions; this is public for engines written
    /// outside this package and for tests.
    public init(
        isAllowed: Bool,
        remaining: Int,
        limit: Int,
        retryAfterNanoseconds: Int64,
        resetAfterNanoseconds: Int64,
        exceedsCapacity: Bool = false
    ) {
        self.isAllowed = isAllowed
        self.remaining = remaining
        self.limit = limit
        self.retryAfterNanoseconds = retryAfterNanoseconds
        self.resetAfterNanoseconds = resetAfterNanoseconds
        self.exceedsCapacity = exceedsCapacity
    }

    /// How long until a request of the same cost would be admitted: `.zero` when allowed.
    ///
    /// When ``exceedsCapacity`` is `true` the request can never be admitted and this is
    /// `.nanoseconds(Int64.max)` (about 292 years); check ``exceedsCapacity`` first.
    public var retryAfter: Duration {
        .nanoseconds(self.retryAfterNanoseconds)
    }

    /// How long until the bucket is full again: `.zero` when it is full now.
    public var resetAfter: Duration {
        .nanoseconds(self.resetAfterNanoseconds)
    }

    /// The decision in words, for logs.
    public var description: String {
        let verdict = self.isAllowed ? "allowed" : (self.exceedsCapacity ? "denied (exceeds capacity)" : "denied")
        return
            "\(verdict), remaining \(self.remaining)/\(self.limit), retry after \(self.retryAfterNanoseconds) ns, reset after \(self.resetAfterNanoseconds) ns"
    }
}
