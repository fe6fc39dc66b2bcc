import MetricsTestKit

extension TestMetrics {
    /// Decisions the failure policy made, counted in `ratelimit_redis_unavailable_total` with
    /// `reason` (`timeout`, `connection`, …), under `policy` when given.
    func unavailable(_ reason: String, policy: String? = nil) -> Int64 {
        let dimensions = (policy.map { [("policy", $0)] } ?? []) + [("reason", reason)]
        return self.counterTotal(label: "ratelimit_redis_unavailable_total", dimensions: dimensions)
    }
}
