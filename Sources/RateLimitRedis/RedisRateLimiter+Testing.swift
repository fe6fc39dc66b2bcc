import RateLimit
import RedisClient

// Hooks for tests and tools: deterministic time, the time a decision was made at, and the
// command as text. None applies the failure policy.
extension RedisRateLimiter {
    /// A decision from Redis together with the Redis time it was made at, in microseconds — the
    /// anchor's time when `TIME` was behind it. Feeding `microseconds × 1000` ns to a
    /// `ReferenceBucket` reproduces the decision exactly. Never applies the failure policy.
    package func acquireReportingTime(
        _ key: Key,
        cost: Int
    ) async throws -> (decision: RateLimitDecision, microseconds: Int64) {
        try await self.checkedEvaluate(key, cost: cost, atMicroseconds: nil)
    }

    /// A decision at a time given by the caller instead of Redis's `TIME`, in microseconds in
    /// `0..<2⁵³`, for deterministic tests. The stored time still never moves backwards, and the
    /// time used is returned. Never applies the failure policy.
    package func acquire(
        _ key: Key,
        cost: Int,
        atMicroseconds microseconds: Int64
    ) async throws -> (decision: RateLimitDecision, microseconds: Int64) {
        guard microseconds >= 0, microseconds < 1 << 53 else {
            throw RateLimitError.invalidConfiguration("scripted time", "\(microseconds) µs", allowed: "in 0..<2^53")
        }
        return try await self.checkedEvaluate(key, cost: cost, atMicroseconds: microseconds)
    }

    /// The arguments of the `EVALSHA` command a decision sends for a key named `redisKey`, for
    /// running the same command from `redis-benchmark` or `redis-cli` (the last argument, the
    /// scripted time, is empty: the script reads `TIME`).
    package static func evalshaArguments(
        policy: BucketPolicy,
        redisKey: String,
        cost: Int = 1
    ) throws(RateLimitError) -> [String] {
        let command = RedisBucketCommand(parameters: try RedisBucketParameters(policy: policy), keyPrefix: "")
        return command.arguments(redisKey: redisKey, cost: cost, atMicroseconds: nil)
    }

    private func checkedEvaluate(
        _ key: Key,
        cost: Int,
        atMicroseconds microseconds: Int64?
    ) async throws -> (decision: RateLimitDecision, microseconds: Int64) {
        guard cost >= 0 else {
            throw RateLimitError.invalidCost(cost, capacity: self.policy.capacity)
        }
        do {
            let reply = try await self.evaluate(key, cost: cost, atMicroseconds: microseconds)
            return (reply.decision, reply.microseconds)
        } catch {
            throw error.reason == .shutdown ? self.shutDownError : error.rateLimitError
        }
    }
}
