import Metrics

/// The counters a ``RedisRateLimiter`` reports through swift-metrics.
///
/// | Label | Dimensions | Counts |
/// |---|---|---|
/// | `ratelimit_redis_unavailable_total` | `policy`, `reason` | decisions made by the failure policy |
/// | `ratelimit_redis_script_reloads_total` | | `NOSCRIPT` replies answered by reloading the script |
/// | `ratelimit_redis_connections_opened_total` | | connections opened (handshake included) |
/// | `ratelimit_redis_connection_failures_total` | | connection attempts that failed |
///
/// `policy` is the failure policy's ``RedisFailurePolicy/name``; `reason` is `timeout`,
/// `connection`, `server` or `protocol`.
struct RedisLimiterMetrics: Sendable {
    private let unavailable: [RedisClientError.Reason: Counter]
    let scriptReloads: Counter

    init(policyName: String, factory: any MetricsFactory) {
        var unavailable: [RedisClientError.Reason: Counter] = [:]
        for reason in [RedisClientError.Reason.timeout, .connection, .server, .protocol] {
            unavailable[reason] = Counter(
                label: "ratelimit_redis_unavailable_total",
                dimensions: [("policy", policyName), ("reason", reason.rawValue)],
                factory: factory
            )
        }
        self.unavailable = unavailable
        self.scriptReloads = Counter(label: "ratelimit_redis_script_reloads_total", dimensions: [], factory: factory)
    }

    /// Counts one decision made without Redis.
    func countUnavailable(_ reason: RedisClientError.Reason) {
        self.unavailable[reason]?.increment()
    }
}
