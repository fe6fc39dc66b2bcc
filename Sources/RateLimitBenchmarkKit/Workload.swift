import RateLimit

/// What the threads of a cell ask for.
package enum Workload: String, CaseIterable, Codable, Sendable, CustomStringConvertible {
    /// One key whose bucket never runs dry: the contended allow path.
    case hotAllow = "hot-allow"
    /// One key whose bucket is always empty: the contended deny path.
    case hotDeny = "hot-deny"
    /// ``hotAllow`` with one clock reading per 64 decisions, passed to
    /// `acquire(_:cost:at:)`: a decision without the clock read (`FastPathRateLimiter`).
    case hotAllowAt = "hot-allow-at"
    /// ``hotAllow`` through a `BucketHandle`: the engine reads the clock, but neither hashes the
    /// key nor probes for it (`FastPathRateLimiter`).
    case hotAllowHandle = "hot-allow-handle"
    /// Integer keys drawn uniformly from `--keys`, all tracked before the clock starts.
    case uniformAllow = "uniform-allow"
    /// Integer keys drawn from a Zipf(1.1) distribution over `--keys`: a few hot clients and a
    /// long tail.
    case zipfAllow = "zipf-allow"
    /// A new key on every request (a key flood) with `maxKeys` far below the key count: the cost
    /// of insertion and eviction, and proof that memory stays bounded.
    case churn
    /// IPv4 address strings drawn uniformly from `--keys`: the realistic case, hashing included.
    case uniformIP = "uniform-ip"
    /// Recorded traffic (`--trace FILE`): its keys (as strings) and costs in its order, closed
    /// loop or at its recorded offsets. Never in a default sweep: it needs the file.
    case trace

    package var description: String { self.rawValue }

    /// Whether the workload needs an engine's fast paths (`FastPathRateLimiter`).
    package var usesFastPaths: Bool {
        self == .hotAllowAt || self == .hotAllowHandle
    }

    /// The workloads that need nothing but the harness: every one but ``trace``.
    package static let standard: [Workload] = Self.allCases.filter { $0 != .trace }

    /// Parses a comma-separated list such as `hot-allow,churn` (``trace`` comes from `--trace`).
    package static func parseList(_ text: String) throws(ArgumentError) -> [Workload] {
        try ArgumentParsing.list(text, allowed: Self.standard.map(\.rawValue)) { Workload(rawValue: $0) }
    }

    /// The engines' bound on tracked keys in a churn cell.
    package static let churnMaxKeys = 16_384

    /// The policy of every cell except churn: a bucket of 2²⁹ tokens refilling one per second,
    /// so a key in use never runs dry during a cell and a drained key stays empty.
    package static func neverDryPolicy() -> BucketPolicy {
        // Statically valid: the window is 2²⁹ s in ns, far below 2⁶¹ ticks.
        try! BucketPolicy(capacity: 1 << 29, refill: 1, every: .seconds(1))
    }

    /// The churn policy: the tutorial's 10 per burst and 2 per second, so that buckets owe
    /// tokens for half a second and a flood forces real evictions.
    package static func churnPolicy() -> BucketPolicy {
        try! BucketPolicy(capacity: 10, refill: 2, every: .seconds(1))
    }
}
