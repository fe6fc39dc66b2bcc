import Metrics
import RedisClient

/// The counters a ``RedisRateLimiter`` reports through swift-metrics.
///
/// | Label | Dimensions | Counts |
/// |---|---|---|
/// | `ratelimit_redis_unavailable_total` | `policy`, `reason` | decisions made by the failure policy |
/// | `ratelimit_redis_script_reloads_total` | | `NOSCRIPT` replies answered by reloading the script |
/// | `ratelimit_redis_connections_opened_total` | | connections opened (handshake included) |
/// | `ratelimit_redis_connection_failures_total` | | connection attempts that failed |
/// | `ratelimit_redis_connections_recycled_total` | `reason` | working connections replaced (counted by the pool) |
/// | `ratelimit_redis_corrupt_buckets_total` | | buckets that held a value the script did not write, replaced by full ones |
///
/// `policy` is the failure policy's ``RedisFailurePolicy/name``; for unavailable decisions,
/// `reason` is `timeout`, `connection`, `server` or `protocol`; for recycled connections it is
/// `timeouts` (``RedisConfiguration/maximumConsecutiveTimeouts`` in a row), `readonly`,
/// `loading`, `masterdown` or `oom` (the server's error reply).
struct RedisLimiterMetrics: Sendable {
    /// What every label starts with; the connection pool's counters too.
    static let labelPrefix = "ratelimit_redis"

    private let unavailable: [RedisClientError.Reason: Counter]
    let scriptReloads: Counter
    let corruptBuckets: Counter

    init(policyName: String, factory: any MetricsFactory) {
        var unavailable: [RedisClientError.Reason: Counter] = [:]
        for reason in [RedisClientError.Reason.timeout, .connection, .server, .protocol] {
            unavailable[reason] = Counter(
                label: "\(Self.labelPrefix)_unavailable_total",
                dimensions: [("policy", policyName), ("reason", reason.rawValue)],
                factory: factory
            )
        }
        self.unavailable = unavailable
        self.scriptReloads = Counter(label: "\(Self.labelPrefix)_script_reloads_total", factory: factory)
        self.corruptBuckets = Counter(label: "\(Self.labelPrefix)_corrupt_buckets_total", factory: factory)
    }

    /// Counts one decision made without Redis.
    func countUnavailable(_ reason: RedisClientError.Reason) {
        self.unavailable[reason]?.increment()
    }
}
