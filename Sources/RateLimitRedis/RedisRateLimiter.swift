import Logging
import Metrics
import NIOCore
import NIOPosix
import RateLimit
import Synchronization

/// A rate limiter whose buckets live in Redis, so that every instance of a service shares one
/// limit per client.
///
/// Decisions follow the same ``BucketPolicy`` semantics as the in-memory engines, smooth and
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
    private let parameters: RedisBucketParameters
    private let pool: RedisConnectionPool
    private let commandTimeout: TimeAmount
    private let logger: Logger
    private let metrics: RedisLimiterMetrics
    /// `*13`, `EVALSHA`, the script's SHA-1 and `1` (one key): the start of every command.
    private let commandHead: ByteBuffer
    /// ARGV 1 to 7: the policy, the same for every command.
    private let commandPolicy: ByteBuffer
    private let scriptLoad: ByteBuffer
    private let keyPrefixBytes: [UInt8]
    private let isAvailable = Atomic<Bool>(true)
    private let isShutDown = Atomic<Bool>(false)

    /// Creates a limiter and starts connecting to Redis in the background.
    ///
    /// The first decisions wait for the first connection, up to the command timeout; call
    /// ``waitUntilConnected()`` to wait for it explicitly. Call ``shutdown()`` when done.
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
    /// - Throws: ``RateLimitError/Code/invalidPolicy`` when the policy does not fit Lua's number
    ///   range, ``RateLimitError/Code/invalidConfiguration`` for a configuration value out of
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

    /// The public initializer, plus where the connections' reply decoders count their work
    /// (tests bound it instead of timing the decoders).
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
        self.parameters = try RedisBucketParameters(policy: policy)
        self.policy = policy
        self.configuration = configuration
        self.failurePolicy = failurePolicy
        self.keyName = keyName
        self.logger = logger
        self.commandTimeout = .nanoseconds(configuration.commandTimeout.wholeNanoseconds)
        let factory = metricsFactory ?? MetricsSystem.factory
        self.metrics = RedisLimiterMetrics(policyName: failurePolicy.name, factory: factory)

        var head = ByteBuffer()
        RESPEncoder.writeArrayHeader(count: 13, into: &head)
        RESPEncoder.writeBulkString("EVALSHA", into: &head)
        RESPEncoder.writeBulkString(RedisBucketScript.sha1, into: &head)
        RESPEncoder.writeBulkString("1", into: &head)
        self.commandHead = head
        var arguments = ByteBuffer()
        for argument in self.parameters.scriptArguments {
            RESPEncoder.writeBulkString(decimal: argument, into: &arguments)
        }
        self.commandPolicy = arguments
        var load = ByteBuffer()
        RESPEncoder.writeCommand(["SCRIPT", "LOAD", RedisBucketScript.source], into: &load)
        self.scriptLoad = load
        self.keyPrefixBytes = Array(configuration.keyPrefix.utf8)

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
                connectTimeout: .nanoseconds(configuration.connectTimeout.wholeNanoseconds),
                minimumReconnectDelay: .nanoseconds(configuration.minimumReconnectDelay.wholeNanoseconds),
                maximumReconnectDelay: .nanoseconds(configuration.maximumReconnectDelay.wholeNanoseconds),
                parser: RESPParser(limits: configuration.replyLimits, statistics: replyStatistics),
                maximumConsecutiveTimeouts: configuration.maximumConsecutiveTimeouts
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
    /// - Throws: ``RateLimitError/Code/invalidCost`` when `cost` is negative;
    ///   ``RateLimitError/Code/unavailable`` after ``shutdown()``, or while Redis is unavailable
    ///   under ``RedisFailurePolicy/throwError``.
    public func acquire(_ key: Key, cost: Int) async throws -> RateLimitDecision {
        guard cost >= 0 else {
            throw RateLimitError(
                code: .invalidCost,
                message: "invalid cost \(cost): must be in 0...\(Int.max) (0 peeks, more than the capacity \(self.policy.capacity) is always denied)"
            )
        }
        do {
            let decision = try await self.evaluate(key, cost: cost, atMicroseconds: nil).decision
            if !self.isAvailable.load(ordering: .relaxed), !self.isAvailable.exchange(true, ordering: .relaxed) {
                self.logger.notice("Redis is available again; decisions are back in Redis", metadata: ["redis": "\(self.configuration)"])
            }
            return decision
        } catch {
            // A request cut short by shutdown() is not an outage: no failure-policy decision.
            guard error.reason != .shutdown, !self.isShutDown.load(ordering: .relaxed) else { throw self.shutDownError }
            return try self.decideWithoutRedis(key, cost: cost, error: error)
        }
    }

    /// Waits until at least one connection is ready, or throws
    /// ``RateLimitError/Code/unavailable`` once `timeout` has passed.
    ///
    /// - Parameter timeout: How long to wait; the configuration's
    ///   ``RedisConfiguration/connectTimeout`` by default.
    public func waitUntilConnected(timeout: Duration? = nil) async throws {
        let wait = timeout ?? self.configuration.connectTimeout
        let deadline = NIODeadline.now() + .nanoseconds(max(0, wait.wholeNanoseconds))
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
    /// ``RateLimitError/Code/unavailable``. Safe to call more than once.
    public func shutdown() async {
        self.isShutDown.store(true, ordering: .relaxed)
        await self.pool.shutdown()
    }

    /// The Redis key that holds `key`'s bucket: the prefix, then the key's name as a hash tag.
    public func redisKey(for key: Key) -> String {
        self.configuration.keyPrefix + "{" + self.keyName(key) + "}"
    }

    // MARK: For tests

    /// A decision from Redis together with the Redis time it was made at, in microseconds — the
    /// anchor's time when `TIME` was behind it. Feeding `microseconds × 1000` ns to a
    /// `ReferenceBucket` reproduces the decision exactly. Never applies the failure policy.
    package func acquireReportingTime(_ key: Key, cost: Int) async throws -> (decision: RateLimitDecision, microseconds: Int64) {
        try await self.checkedEvaluate(key, cost: cost, atMicroseconds: nil)
    }

    /// A decision at a time given by the caller instead of Redis's `TIME`, in microseconds in
    /// `0..<2⁵³`, for deterministic tests. The stored time still never moves backwards, and the
    /// time used is returned. Never applies the failure policy.
    package func acquire(_ key: Key, cost: Int, atMicroseconds microseconds: Int64) async throws -> (decision: RateLimitDecision, microseconds: Int64) {
        guard microseconds >= 0, microseconds < 1 << 53 else {
            throw RateLimitError(code: .invalidConfiguration, message: "invalid scripted time \(microseconds) µs: must be in 0..<2^53")
        }
        return try await self.checkedEvaluate(key, cost: cost, atMicroseconds: microseconds)
    }

    /// The arguments of the `EVALSHA` command a decision sends for a key named `redisKey`, for
    /// running the same command from `redis-benchmark` or `redis-cli` (the last argument, the
    /// scripted time, is empty: the script reads `TIME`).
    package static func evalshaArguments(policy: BucketPolicy, redisKey: String, cost: Int = 1) throws(RateLimitError) -> [String] {
        let parameters = try RedisBucketParameters(policy: policy)
        return ["EVALSHA", RedisBucketScript.sha1, "1", redisKey] + parameters.scriptArguments.map(String.init) + [String(min(cost, policy.capacity + 1)), ""]
    }

    private func checkedEvaluate(_ key: Key, cost: Int, atMicroseconds microseconds: Int64?) async throws -> (decision: RateLimitDecision, microseconds: Int64) {
        guard cost >= 0 else {
            throw RateLimitError(code: .invalidCost, message: "invalid cost \(cost): must be in 0...\(Int.max)")
        }
        do {
            return try await self.evaluate(key, cost: cost, atMicroseconds: microseconds)
        } catch {
            throw error.reason == .shutdown ? self.shutDownError : error.rateLimitError
        }
    }

    // MARK: Deciding

    private var shutDownError: RateLimitError {
        RateLimitError(code: .unavailable, message: "the Redis rate limiter for \(self.configuration) was shut down")
    }

    private func evaluate(_ key: Key, cost: Int, atMicroseconds microseconds: Int64?) async throws(RedisClientError) -> (decision: RateLimitDecision, microseconds: Int64) {
        guard !self.isShutDown.load(ordering: .relaxed) else {
            throw RedisClientError(.shutdown, "shut down")
        }
        let deadline = NIODeadline.now() + self.commandTimeout
        let connection = try await self.pool.connection(deadline: deadline)
        let command = self.command(key, cost: cost, atMicroseconds: microseconds)
        var reply = try await connection.send(command, deadline: deadline)
        // NOSCRIPT: the script cache was emptied (restart, SCRIPT FLUSH). Load the script and run
        // the command again, pipelined in one round trip; NOSCRIPT means nothing ran, so the retry
        // is safe. A flush can land between the two commands, hence a few attempts.
        var reloads = 0
        while reply.errorCode == "NOSCRIPT", reloads < 3 {
            reloads += 1
            self.metrics.scriptReloads.increment()
            self.logger.notice("Redis lost the rate limit script (NOSCRIPT); reloading it", metadata: ["redis": "\(self.configuration)"])
            let replies = connection.send([self.scriptLoad, command], deadline: deadline)
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
        let (decision, time, corrupt) = try self.decision(from: reply)
        if corrupt {
            self.metrics.corruptBuckets.increment()
            self.logger.warning(
                "A bucket in Redis held a value the limiter did not write; it was replaced by a full bucket",
                metadata: ["redis": "\(self.configuration)", "key-prefix": "\(self.configuration.keyPrefix)"]
            )
        }
        return (decision, time)
    }

    /// When the server cannot serve (failover, restart, out of memory), this request fails and
    /// the failure policy answers, and the connection is replaced — reconnecting resolves the
    /// host again, which reaches the new primary after a failover.
    private func recycleIfUnserviceable(_ connection: RedisConnection, reply: RESPValue) {
        if let reason = RedisRecycleReason(reply: reply) {
            self.pool.recycle(connection, reason: reason)
        }
    }

    /// `EVALSHA sha 1 <prefix>{<name>} <policy…> <cost> <time or "">`.
    private func command(_ key: Key, cost: Int, atMicroseconds microseconds: Int64?) -> ByteBuffer {
        let name = self.keyName(key)
        let keyLength = self.keyPrefixBytes.count + name.utf8.count + 2
        var buffer = ByteBuffer()
        buffer.reserveCapacity(self.commandHead.readableBytes + self.commandPolicy.readableBytes + keyLength + 64)
        buffer.writeImmutableBuffer(self.commandHead)
        buffer.writeInteger(UInt8(ascii: "$"))
        RESPEncoder.writeDecimal(keyLength, into: &buffer)
        buffer.writeStaticString("\r\n")
        buffer.writeBytes(self.keyPrefixBytes)
        buffer.writeInteger(UInt8(ascii: "{"))
        buffer.writeString(name)
        buffer.writeInteger(UInt8(ascii: "}"))
        buffer.writeStaticString("\r\n")
        buffer.writeImmutableBuffer(self.commandPolicy)
        // Any cost above the capacity gets the same answer; capacity + 1 stays exact in Lua.
        RESPEncoder.writeBulkString(decimal: min(cost, self.policy.capacity + 1), into: &buffer)
        if let microseconds {
            RESPEncoder.writeBulkString(decimal: Int(microseconds), into: &buffer)
        } else {
            buffer.writeStaticString("$0\r\n\r\n")
        }
        return buffer
    }

    private func decideWithoutRedis(_ key: Key, cost: Int, error: RedisClientError) throws(RateLimitError) -> RateLimitDecision {
        self.metrics.countUnavailable(error.reason)
        if self.isAvailable.exchange(false, ordering: .relaxed) {
            self.logger.warning(
                "Redis is unavailable; the failure policy decides until it answers again",
                metadata: ["redis": "\(self.configuration)", "failure-policy": "\(self.failurePolicy)", "error": "\(error)"]
            )
        } else {
            self.logger.debug("Redis unavailable for a decision", metadata: ["error": "\(error)"])
        }
        return try self.failurePolicy.decide(key, cost: cost, policy: self.policy, error: error)
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
    /// let limiter = try RedisRateLimiter<String>(url: "redis://127.0.0.1:6379", policy: policy, failurePolicy: .failClosed)
    /// ```
    ///
    /// - Throws: ``RateLimitError/Code/invalidConfiguration`` for a malformed URL,
    ///   ``RateLimitError/Code/invalidPolicy`` for a policy beyond Lua's exact range.
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
