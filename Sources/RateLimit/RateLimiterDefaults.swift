import CRateLimitShims

/// Defaults shared by the in-memory engines.
public enum RateLimiterDefaults {
    /// The default bound on tracked keys: 1,048,576. Tables grow on demand up to it, so a limiter
    /// that sees few clients uses little memory.
    public static let maxKeys = 1 << 20

    /// The largest `maxKeys` an engine accepts: 2³⁰.
    public static let maximumMaxKeys = 1 << 30

    /// The number of CPUs this process may run on (its affinity mask).
    public static var activeProcessorCount: Int {
        Int(crl_active_cpu_count())
    }

    static func validate(maxKeys: Int) throws(RateLimitError) {
        guard maxKeys >= 1, maxKeys <= Self.maximumMaxKeys else {
            throw .invalidConfiguration("maxKeys", maxKeys, allowed: "in 1...\(Self.maximumMaxKeys)")
        }
    }
}

@usableFromInline
func negativeCost(_ cost: Int) -> Never {
    preconditionFailure(
        "invalid cost \(cost): must be in 0...\(Int.max) (use the async acquire to get a thrown error instead)")
}
