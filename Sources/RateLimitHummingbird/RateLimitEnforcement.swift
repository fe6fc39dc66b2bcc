/// Whether a ``RateLimitMiddleware`` answers for its limit, or only reports what it would do.
///
/// Nobody turns a limit on in production blind: roll a policy out in ``shadow``, watch who *would*
/// be denied (`ratelimit_requests_total{outcome="shadow_denied"}` and the log), then switch to
/// ``enforce``.
public struct RateLimitEnforcement: Hashable, Sendable, CustomStringConvertible {
    enum Mode: Hashable, Sendable {
        case enforce
        case shadow
    }

    let mode: Mode

    /// Answers `429` when a client's bucket is empty (and `400`, `500`, `503` as documented on the
    /// middleware): the default.
    public static let enforce = RateLimitEnforcement(mode: .enforce)

    /// Decides and takes tokens exactly as ``enforce`` does, and sends the same rate-limit headers
    /// (choose ``RateLimitHeaderStyle/none`` to send none), but never answers for the handler:
    /// - a request that would be denied goes on to the handler, counted with outcome
    ///   `shadow_denied` and logged at the denial level as "Rate limit would be exceeded";
    /// - a request without a client key that ``UnidentifiedClientPolicy/reject(status:)`` would
    ///   answer goes on too, counted as `shadow_rejected`, undecided;
    /// - a negative cost or a failing limiter is counted and logged as an `error`, and the request
    ///   goes on without headers.
    public static let shadow = RateLimitEnforcement(mode: .shadow)

    /// `enforce` or `shadow`.
    public var description: String {
        switch self.mode {
        case .enforce: "enforce"
        case .shadow: "shadow"
        }
    }
}
