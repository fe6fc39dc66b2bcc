import Metrics

/// The swift-metrics instruments of one ``RateLimitMiddleware``, created once so that a request
/// costs an increment, not a factory lookup.
///
/// | Metric | Type | Dimensions |
/// |---|---|---|
/// | `ratelimit_requests_total` | Counter | `policy`, `outcome` = `allowed`, `denied`, `rejected` (no client key), `error`; in shadow mode `shadow_denied`, `shadow_rejected` |
/// | `ratelimit_decision_duration_seconds` | Timer | `policy` |
///
/// Exempt requests are not counted.
struct RateLimitMetrics: Sendable {
    /// The counter's label.
    static let requestsLabel = "ratelimit_requests_total"
    /// The timer's label.
    static let durationLabel = "ratelimit_decision_duration_seconds"

    let allowed: Counter
    let denied: Counter
    let rejected: Counter
    let errors: Counter
    /// Would-be denials and rejections in ``RateLimitEnforcement/shadow``.
    let shadowDenied: Counter
    let shadowRejected: Counter
    let decisionDuration: Timer

    init(policyName: String, factory: any MetricsFactory) {
        func counter(_ outcome: String) -> Counter {
            Counter(
                label: Self.requestsLabel, dimensions: [("policy", policyName), ("outcome", outcome)], factory: factory)
        }
        self.allowed = counter("allowed")
        self.denied = counter("denied")
        self.rejected = counter("rejected")
        self.errors = counter("error")
        self.shadowDenied = counter("shadow_denied")
        self.shadowRejected = counter("shadow_rejected")
        self.decisionDuration = Timer(label: Self.durationLabel, dimensions: [("policy", policyName)], factory: factory)
    }
}

/// The labels of the metrics that ``RateLimitMiddleware`` records, for dashboards and for
/// configuring a backend (for example, histogram buckets for the decision timer).
public enum RateLimitMetricLabels {
    /// `ratelimit_requests_total`: a counter with dimensions `policy` and `outcome` (`allowed`,
    /// `denied`, `rejected`, `error`; in ``RateLimitEnforcement/shadow``, `shadow_denied` and
    /// `shadow_rejected` instead of `denied` and `rejected`).
    public static let requests = RateLimitMetrics.requestsLabel
    /// `ratelimit_decision_duration_seconds`: a timer of the limiter's decision, with dimension
    /// `policy`; the decisions it times are a sample by default (see ``DecisionTiming``).
    public static let decisionDuration = RateLimitMetrics.durationLabel
}
