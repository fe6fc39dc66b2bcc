import RateLimit
import RedisClient

extension RedisClientError {
    /// The public error thrown when the failure policy is ``RedisFailurePolicy/throwError``.
    var rateLimitError: RateLimitError {
        RateLimitError(code: .unavailable, message: "Redis unavailable (\(self.description))")
    }
}
