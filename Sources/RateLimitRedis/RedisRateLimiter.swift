import Logging
import Metrics
import NIOCore
import NIOPosix
import RateLimit
import RedisClient
import Synchronization

/// A rate limiter whose buckets live in Redis, so that every instance of a service shares one
/// limit per client.
///
/// Decisions follow the same `BucketPolicy` semantics as the in-memory engines, smooth and
/// stepped, exact to the nanosecond — taken at Redis's clock:
///
/// ```swift
/// let policy = try BucketPolicy(capacity: 10, refill: 2, every: .seconds(1))
/// let limiter = try RedisRateLimiter<String>(
///     url: "redis://10.0.0.5:6379",
///     policy: policy,
///     failurePolicy: .fallback(try AtomicRateLimiter(policy: policy))
/// )
/// let decision = try await limiter.acquire("203.0.113.7")
/// // …
/// await limiter.shutdown()
/// ```
///
/// ## How a decision is made
/// One `EVALSHA` per decision runs a Lua script (``RedisConfiguration/keyPrefix`` + `{key}`) that
/// reads Redis's `TIME`, applies the token-bucket arithmetic and stores the bucket, atomically.
/// The script is loaded on every new connection and reloaded transparently when Redis answers
/// `NOSCRIPT` (after a restart or `SCRIPT FLUSH`). Because the time is Redis's, clock skew
/// between instances cannot change a decision. Redis's clock has microsecond resolution, so
/// decisions are made at whole microseconds (`retryAfter` and `resetAfter` stay exact to the
/// nanosecond for that time), and a clock that steps backwards never gives tokens back.
///
/// ## Keys and memory
/// A bucket is one string key, `<prefix>{<key>}`, holding `"<anchor µs>:<debt ticks>"`. It is
/// written with an expiry at the moment it will be full again, so Redis holds only buckets in
/// use. The braces are a cluster hash tag: everything about one client maps to one slot.
///
/// ## When Redis is unavailable
/// No decision waits longer than ``RedisConfiguration/commandTimeout``. When Redis cannot answer
/// in time, ``failurePolicy`` decides (see ``RedisFailurePolicy``), counted in metrics and
/// logged. Connections are re-established in the background with exponential backoff.
///
/// A request that times out fails alone: its late reply is read and dropped, and the
/// connection goes on serving the requests behind it. A connection is replaced after
/// ``RedisConfiguration/maximumConsecutiveTimeouts`` timeouts in a row, or at once (after the
/// requests on it finish) when Redis answers `READONLY`, `LOADING`, `MASTERDOWN` or `OOM`;
/// counted in `ratelimit_redis_connections_recycled_total`. A reply larger than the
/// configuration's reply caps closes its connection with a protocol error naming the cap.
///
/// A bucket that holds a value the script did not write (`inf`, `nan`, garbage, a hash …) is
/// replaced by a full bucket, logged as a warning and counted in
/// `ratelimit_redis_corrupt_buckets_total`, instead of failing its key until it expires.
///
/// ## Limits
/// Lua computes in doubles, exact below 2⁵³: a policy whose time to refill from empty exceeds
/// 2⁵² ticks (52 days when one tick is one nanosecond) is rejected at creation.
public final class RedisRateLimiter<Key: Hashable & Sendable>: AsyncRateLimiter {
    /// The policy every bucket follows.
    public let policy: BucketPolicy
    /// The server and connection settings.
    public let configuration: RedisConfiguration
    /// What decides while Redis is unavailable.
    public let failurePolicy: RedisFailurePolicy<Key>

    private let keyName: @Sendable (Key) -> String
    /// The wire format of every decision.
    let command: RedisBucketCommand
    private let pool: RedisConnectionPool
    private let commandTimeout: TimeAmount
    private let logger: Logger
    private let metrics: RedisLimiterMetrics
    private let isAvailable = Atomic<Bool>(true)
    private let isShutDown = Atomic<Bool>(false)

    /// The designated initializer: the public one (see `RedisRateLimiter+Convenience.swift`),
    /// plus where the connections' reply decoders count their work (tests bound it instead of
    /// timing the decoders).
    package init(
        policy: BucketPolicy,
        configuration: RedisConfiguration,
        failurePolicy: RedisFailurePolicy<Key>,
        keyName: @escaping @Sendable (Key) -> String,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "RateLimitRedis"),
        metricsFactory: (any MetricsFactory)? = nil,
        replyStatistics: RESPDecoderStatistics?
    ) throws(RateLimitError) {
        try configuration.validate()
        try failurePolicy.validate()
        self.command = RedisBucketCommand(
            parameters: try RedisBucketParameters(policy: policy),
            keyPrefix: configuration.keyPrefix
        )
        self.policy = policy
        self.configuration = configuration
        self.failurePolicy = failurePolicy
        self.keyName = keyName
        self.logger = logger
        self.commandTimeout = .nanoseconds(configuration.commandTimeout.saturatingNanoseconds)
        let factory = metricsFactory ?? MetricsSystem.factory
        self.metrics = RedisLimiterMetrics(policyName: failurePolicy.name, factory: factory)

        let handshake = RedisConnection.Handshake(
            username: configuration.username,
            password: configuration.password,
            database: configuration.database,
            scripts: [(RedisBucketScript.source, RedisBucketScript.sha1)]
        )
        self.pool = RedisConnectionPool(
            options: .init(
                host: configuration.host,
                port: configuration.port,
                handshake: handshake,
                size: configuration.poolSize,
                connectTimeout: .nanoseconds(configuration.connectTimeout.saturatingNanoseconds),
                minimumReconnectDelay: .nanoseconds(configuration.minimumReconnectDelay.saturatingNanoseconds),
                maximumReconnectDelay: .nanoseconds(configuration.maximumReconnectDelay.saturatingNanoseconds),
                parser: RESPParser(limits: configuration.replyLimits, statistics: replyStatistics),
                maximumConsecutiveTimeouts: configuration.maximumConsecutiveTimeouts,
                metricsLabelPrefix: RedisLimiterMetrics.labelPrefix
            ),
            group: eventLoopGroup,
            logger: logger,
            metricsFactory: factory
        )
        logger.debug(
            "Redis rate limiter created",
            metadata: ["redis": "\(configuration)", "policy": "\(policy)", "failure-policy": "\(failurePolicy)"]
        )
    }

    deinit {
        // Without shutdown() the connections would outlive the limiter; close them at least.
        if !self.isShutDown.load(ordering: .relaxed) {
            let pool = self.pool
            Task { await pool.shutdown() }
        }
    }

    /// Takes `cost` tokens from `key`'s bucket in Redis if it holds that many, all or nothing.
    ///
    /// Never waits longer than the command timeout: when Redis cannot answer by then, the
    /// ``failurePolicy`` decides.
    ///
    /// - Throws: `RateLimitError.Code.invalidCost` when `cost` is negative;
    ///   `RateLimitError.Code.unavailable` after ``shutdown()``, or while Redis is unavailable
    ///   under ``RedisFailurePolicy/throwError``.
    public func acquire(_ key: Key, cost: Int) async throws -> RateLimitDecision {
        guard cost >= 0 else {
            throw RateLimitError.invalidCost(cost, capacity: self.policy.capacity)
        }
        do {
            let decision = try await self.evaluate(key, cost: cost, atMicroseconds: nil).decision
            if !self.isAvailable.load(ordering: .relaxed), !self.isAvailable.exchange(true, ordering: .relaxed) {
                self.logger.notice(
                    "Redis is available again; decisions are back in Redis",
                    metadata: ["redis": "\(self.configuration)"]
                )
            }
            return decision
        } catch {
            // A request cut short by shutdown() is not an outage: no failure-policy decision.
            guard error.reason != .shutdown, !self.isShutDown.load(ordering: .relaxed) else {
                throw self.shutDownError
            }
            return try self.decideWithoutRedis(key, cost: cost, error: error)
        }
    }

    /// Waits until at least one connection is ready, or throws
    /// `RateLimitError.Code.unavailable` once `timeout` has passed.
    ///
    /// - Parameter timeout: How long to wait; the configuration's
    ///   ``RedisConfiguration/connectTimeout`` by default.
    public func waitUntilConnected(timeout: Duration? = nil) async throws {
        let wait = timeout ?? self.configuration.connectTimeout
        let deadline = NIODeadline.now() + .nanoseconds(max(0, wait.saturatingNanoseconds))
        while true {
            do {
                _ = try await self.pool.connection(deadline: deadline)
                return
            } catch {
                guard error.reason != .shutdown else { throw self.shutDownError }
                guard NIODeadline.now() < deadline else { throw error.rateLimitError }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
    }

    /// Closes every connection and stops reconnecting. Later calls to `acquire` throw
    /// `RateLimitError.Code.unavailable`. Safe to call more than once.
    public func shutdown() async {
        self.isShutDown.store(true, ordering: .relaxed)
        await self.pool.shutdown()
    }

    /// The Redis key that holds `key`'s bucket: the prefix, then the key's name as a hash tag.
    public func redisKey(for key: Key) -> String {
        self.command.redisKey(keyName: self.keyName(key))
    }

    // MARK: Deciding

    var shutDownError: RateLimitError {
        RateLimitError(code: .unavailable, message: "the Redis rate limiter for \(self.configuration) was shut down")
    }

    /// One decision in Redis, `NOSCRIPT` answered by reloading the script; never applies the
    /// failure policy.
    func evaluate(_ key: Key, cost: Int, atMicroseconds microseconds: Int64?) async throws(RedisClientError)
        -> RedisBucketCommand.Reply
    {
        guard !self.isShutDown.load(ordering: .relaxed) else {
            throw RedisClientError(.shutdown, "shut down")
        }
        let deadline = NIODeadline.now() + self.commandTimeout
        let connection = try await self.pool.connection(deadline: deadline)
        let command = self.command.encode(keyName: self.keyName(key), cost: cost, atMicroseconds: microseconds)
        var reply = try await connection.send(command, deadline: deadline)
        // NOSCRIPT: the script cache was emptied (restart, SCRIPT FLUSH). Load the script and run
        // the command again, pipelined in one round trip; NOSCRIPT means nothing ran, so the retry
        // is safe. A flush can land between the two commands, hence a few attempts.
        var reloads = 0
        while reply.errorCode == "NOSCRIPT", reloads < 3 {
            reloads += 1
            self.metrics.scriptReloads.increment()
            self.logger.notice(
                "Redis lost the rate limit script (NOSCRIPT); reloading it",
                metadata: ["redis": "\(self.configuration)"]
            )
            let replies = connection.send([RedisBucketCommand.scriptLoad, command], deadline: deadline)
            let loaded: RESPValue
            do {
                loaded = try await replies[0].handedOffValue()
                reply = try await replies[1].handedOffValue()
            } catch {
                throw RedisClientError.wrapping(error)
            }
            self.recycleIfUnserviceable(connection, reply: loaded)
            guard loaded.string == RedisBucketScript.sha1 else {
                throw RedisClientError(.server, "SCRIPT LOAD answered \(loaded), expected \(RedisBucketScript.sha1)")
            }
        }
        self.recycleIfUnserviceable(connection, reply: reply)
        let decision = try self.command.reply(from: reply)
        if decision.corrupt {
            self.metrics.corruptBuckets.increment()
            self.logger.warning(
                "A bucket in Redis held a value the limiter did not write; it was replaced by a full bucket",
                metadata: ["redis": "\(self.configuration)", "key-prefix": "\(self.configuration.keyPrefix)"]
            )
        }
        return decision
    }

    /// When the server cannot serve (failover, restart, out of memory), this request fails and
    /// the failure policy answers, and the connection is replaced — reconnecting resolves the
    /// host again, which reaches the new primary after a failover.
    private func recycleIfUnserviceable(_ connection: RedisConnection, reply: RESPValue) {
        if let reason = RedisRecycleReason(reply: reply) {
            self.pool.recycle(connection, reason: reason)
        }
    }

    private func decideWithoutRedis(
        _ key: Key,
        cost: Int,
        error: RedisClientError
    ) throws(RateLimitError) -> RateLimitDecision {
        self.metrics.countUnavailable(error.reason)
        if self.isAvailable.exchange(false, ordering: .relaxed) {
            self.logger.warning(
                "Redis is unavailable; the failure policy decides until it answers again",
                metadata: [
                    "redis": "\(self.configuration)", "failure-policy": "\(self.failurePolicy)", "error": "\(error)",
                ]
            )
        } else {
            self.logger.debug("Redis unavailable for a decision", metadata: ["error": "\(error)"])
        }
        return try self.failurePolicy.decide(key, cost: cost, policy: self.policy, error: error)
    }
}
