/// Why a connection that still works is closed and replaced: the `reason` dimension of
/// `<prefix>_connections_recycled_total` (see ``RedisConnectionPool``).
package enum RedisRecycleReason: String, Hashable, Sendable, CaseIterable {
    /// Several timeouts in a row, with no reply in between
    /// (the pool's `maximumConsecutiveTimeouts`).
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
    package init?(errorCode: Substring) {
        switch errorCode {
        case "READONLY": self = .readonly
        case "LOADING": self = .loading
        case "MASTERDOWN": self = .masterdown
        case "OOM": self = .oom
        default: return nil
        }
    }

    /// The reason for an error reply, or `nil`. Redis 7 answers a script whose `redis.call`
    /// failed with the inner error's code (`-READONLY You can't write…`); Redis 6.2 wraps it:
    /// `-ERR Error running script (call to f_…): @user_script:…: -READONLY You can't write…`.
    /// Both recycle.
    package init?(reply: RESPValue) {
        guard case .error(let message) = reply, let code = reply.errorCode else { return nil }
        if let reason = RedisRecycleReason(errorCode: code) {
            self = reason
            return
        }
        guard code == "ERR", message.contains("Error running script") else { return nil }
        for reason in Self.allCases where reason != .timeouts {
            if message.contains("-\(reason.rawValue.uppercased()) ") {
                self = reason
                return
            }
        }
        return nil
    }
}
