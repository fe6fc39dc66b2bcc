import Logging
import Metrics
import NIOCore
import NIOPosix
import RateLimit

// The public initializers. Each overload spells out its parameters (Swift cannot share a
// parameter list) and forwards once, to the designated initializer in `RedisRateLimiter.swift`.

extension RedisRateLimiter {
    /// Creates a limiter and starts connecting to Redis in the background.
    ///
    /// The first decisions wait for the first connection, up to the command timeout; call
    /// ``waitUntilConnected(timeout:)`` to wait for it explicitly. Call ``shutdown()`` when done.
    ///
    /// - Parameters:
    ///   - policy: The policy of every bucket. It must fit Lua's exact integer range (see the
    ///     type's documentation).
    ///   - configuration: The server and connection settings.
    ///   - failurePolicy: What decides while Redis is unavailable.
    ///   - keyName: The text that identifies a client's bucket in Redis. Distinct keys must give
    ///     distinct names.
    ///   - eventLoopGroup: Where connections run; NIO's shared singleton by default.
    ///   - logger: Where connection changes and failures are logged.
    ///   - metricsFactory: Where the counters go (see ``RedisFailurePolicy``); the globally
    ///     bootstrapped `MetricsSystem` by default.
    /// - Throws: `RateLimitError.Code.invalidPolicy` when the policy does not fit Lua's number
    ///   range, `RateLimitError.Code.invalidConfiguration` for a configuration value out of
    ///   range; each message names the value and the accepted range.
    public convenience init(
        policy: BucketPolicy,
        configuration: RedisConfiguration,
        failurePolicy: RedisFailurePolicy<Key>,
        keyName: @escaping @Sendable (Key) -> String,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "RateLimitRedis"),
        metricsFactory: (any MetricsFactory)? = nil
    ) throws(RateLimitError) {
        try self.init(
            policy: policy,
            configuration: configuration,
            failurePolicy: failurePolicy,
            keyName: keyName,
            eventLoopGroup: eventLoopGroup,
            logger: logger,
            metricsFactory: metricsFactory,
            replyStatistics: nil
        )
    }
}

extension RedisRateLimiter where Key: LosslessStringConvertible {
    /// Creates a limiter whose bucket names are the keys' `description`: for `String` keys, the
    /// key itself.
    ///
    /// See ``init(policy:configuration:failurePolicy:keyName:eventLoopGroup:logger:metricsFactory:)``.
    public convenience init(
        policy: BucketPolicy,
        configuration: RedisConfiguration,
        failurePolicy: RedisFailurePolicy<Key>,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "RateLimitRedis"),
        metricsFactory: (any MetricsFactory)? = nil
    ) throws(RateLimitError) {
        try self.init(
            policy: policy,
            configuration: configuration,
            failurePolicy: failurePolicy,
            keyName: { $0.description },
            eventLoopGroup: eventLoopGroup,
            logger: logger,
            metricsFactory: metricsFactory
        )
    }

    /// Creates a limiter for the server at `url` (see ``RedisConfiguration/init(url:)``), with
    /// default connection settings and bucket names from the keys' `description`.
    ///
    /// ```swift
    /// let limiter = try RedisRateLimiter<String>(
    ///     url: "redis://127.0.0.1:6379",
    ///     policy: policy,
    ///     failurePolicy: .failClosed
    /// )
    /// ```
    ///
    /// - Throws: `RateLimitError.Code.invalidConfiguration` for a malformed URL,
    ///   `RateLimitError.Code.invalidPolicy` for a policy beyond Lua's exact range.
    public convenience init(
        url: String,
        policy: BucketPolicy,
        failurePolicy: RedisFailurePolicy<Key>,
        logger: Logger = Logger(label: "RateLimitRedis"),
        metricsFactory: (any MetricsFactory)? = nil
    ) throws(RateLimitError) {
        try self.init(
            policy: policy,
            configuration: try RedisConfiguration(url: url),
            failurePolicy: failurePolicy,
            logger: logger,
            metricsFactory: metricsFactory
        )
    }
}
