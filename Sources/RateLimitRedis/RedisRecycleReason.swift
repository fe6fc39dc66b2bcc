/// Why a connection that still works is closed and replaced: the `reason` dimension of
/// `ratelimit_redis_connections_recycled_total`.
enum RedisRecycleReason: String, Hashable, Sendable, CaseIterable {
    /// Several requests in a row got no reply within their timeout
    /// (``RedisConfiguration/maximumConsecutiveTimeouts``).
    case timeouts
    /// `READONLY`: the server became a replica, typically after a failover. A new connection,
    /// with the host name resolved again, reaches the new primary.
    case readonly
    /// `LOADING`: the server is loading its dataset after a restart.
    case loading
    /// `MASTERDOWN`: a replica lost its primary.
    case masterdown
    /// `OOM`: the server is out of memory for writes.
    case oom

    /// The reason for an error reply's code, or `nil` when that error leaves the connection in
    /// use (a script error, `NOSCRIPT`, `BUSY`, …).
    init?(errorCode: Substring) {
        switch errorCode {
        case "READONLY": self = .readonly
        case "LOADING": self = .loading
        case "MASTERDOWN": self = .masterdown
        case "OOM": self = .oom
        default: return nil
        }
    }
}
