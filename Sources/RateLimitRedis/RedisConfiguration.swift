import RateLimit
import RedisClient

/// Where the Redis server is and how the limiter talks to it.
///
/// Most deployments need only a URL (see ``init(url:)``); the other settings have defaults
/// suited to a rate limiter on the request path:
///
/// ```swift
/// var configuration = try RedisConfiguration(url: "redis://:s3cret@redis.internal:6379/2")
/// configuration.commandTimeout = .milliseconds(100)
/// ```
///
/// Values are checked when a ``RedisRateLimiter`` is created; an out-of-range value throws
/// `RateLimitError.Code.invalidConfiguration` with a message naming it and the allowed range.
public struct RedisConfiguration: Hashable, Sendable, CustomStringConvertible {
    /// The server's host name or IP address (IPv6 without brackets). `127.0.0.1` by default.
    public var host: String
    /// The server's TCP port, in `1...65535`. `6379` by default.
    public var port: Int
    /// The ACL user name sent with `AUTH` (Redis 6 and later), or `nil` for the default user.
    public var username: String?
    /// The password sent with `AUTH`, or `nil` to skip authentication.
    public var password: String?
    /// The logical database selected with `SELECT`, in `0...2147483647`. `0` by default.
    public var database: Int
    /// What every bucket's key starts with; the client key follows in braces, as a cluster hash
    /// tag: `ratelimit:{203.0.113.7}`. Must not contain `{` or `}`. `"ratelimit:"` by default.
    public var keyPrefix: String
    /// Connections kept open, in `1...256`; concurrent decisions are pipelined on each.
    /// `2` by default.
    public var poolSize: Int
    /// The longest a new connection may take, TCP connect and handshake (`AUTH`, `SELECT`,
    /// `SCRIPT LOAD`) together, in `1 ms...1 h`. 1 second by default.
    public var connectTimeout: Duration
    /// The longest a decision waits for Redis, in `1 ms...1 h`: past it, the failure policy
    /// decides. 250 ms by default.
    public var commandTimeout: Duration
    /// The first delay before reconnecting after a failure, in `1 ms...1 h`. 50 ms by default.
    public var minimumReconnectDelay: Duration
    /// The cap on the delay between reconnection attempts, which doubles after each failure, in
    /// `minimumReconnectDelay...1 h`. 2 seconds by default.
    public var maximumReconnectDelay: Duration
    /// A connection whose requests time out this many times in a row, with no reply in between,
    /// is closed and replaced, in `1...1000`. A single timeout fails only its own request.
    /// `3` by default.
    public var maximumConsecutiveTimeouts: Int
    /// The longest simple-string, error or length line accepted in a reply, in bytes, in
    /// `256...1048576`. `4096` by default.
    public var maximumReplyLineLength: Int
    /// The longest bulk string accepted in a reply, in bytes, in `64...67108864`. `65536`
    /// (64 KiB) by default; this client receives at most a 40-byte SHA-1.
    public var maximumReplyBulkLength: Int
    /// The most elements an array in a reply may have, in `7...1048576`. `16` by default; a
    /// decision's reply has 7.
    public var maximumReplyArrayLength: Int
    /// How deeply arrays in a reply may nest, in `1...32`. `2` by default; a decision's reply is
    /// one flat array.
    public var maximumReplyDepth: Int

    /// Creates a configuration for a server, with default settings for everything else.
    public init(
        host: String = "127.0.0.1", port: Int = 6379, username: String? = nil, password: String? = nil,
        database: Int = 0
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.keyPrefix = "ratelimit:"
        self.poolSize = 2
        self.connectTimeout = .seconds(1)
        self.commandTimeout = .milliseconds(250)
        self.minimumReconnectDelay = .milliseconds(50)
        self.maximumReconnectDelay = .seconds(2)
        self.maximumConsecutiveTimeouts = 3
        let limits = RESPLimits()
        self.maximumReplyLineLength = limits.maximumLineLength
        self.maximumReplyBulkLength = limits.maximumBulkLength
        self.maximumReplyArrayLength = limits.maximumArrayCount
        self.maximumReplyDepth = limits.maximumDepth
    }

    /// The server as a URL, with the password masked: `redis://user:***@host:6379/0`.
    public var description: String {
        var userInfo = ""
        if self.username != nil || self.password != nil {
            userInfo = (self.username ?? "") + (self.password == nil ? "" : ":***") + "@"
        }
        // The host is masked too: set by hand, it may hold "user:password@host" (rejected by
        // validation, but a description can be printed before).
        return "redis://\(userInfo)\(Self.redacted(self.endpoint))/\(self.database)"
    }

    /// `host:port`, with brackets around an IPv6 address.
    var endpoint: String {
        RedisConnection.endpoint(host: self.host, port: self.port)
    }

    static let maximumPoolSize = 256
    private static let longestTimeout = Duration.seconds(3600)

    /// Throws `RateLimitError.Code.invalidConfiguration` for the first value out of range.
    func validate() throws(RateLimitError) {
        // No '@' either: a host holding "user:password@host" would print the password.
        guard !self.host.isEmpty, !self.host.contains(where: { $0.isWhitespace || $0 == "/" || $0 == "@" }) else {
            throw .invalidConfiguration(
                "Redis host",
                "\"\(Self.redacted(self.host))\"",
                allowed: "a host name or IP address, without spaces, '/' or '@'"
            )
        }
        guard (1...65535).contains(self.port) else {
            throw .invalidConfiguration("Redis port", self.port, allowed: "in 1...65535")
        }
        guard (0...Int(Int32.max)).contains(self.database) else {
            throw .invalidConfiguration("Redis database", self.database, allowed: "in 0...\(Int32.max)")
        }
        if let password = self.password, password.isEmpty {
            throw .invalidConfiguration(
                "Redis password",
                "(empty)",
                allowed: "a non-empty password, or nil to skip AUTH"
            )
        }
        if self.username != nil, self.password == nil {
            throw .invalidConfiguration(
                "Redis username",
                "\"\(self.username ?? "")\" without a password",
                allowed: "set together with a password (AUTH username password)"
            )
        }
        guard !self.keyPrefix.contains("{"), !self.keyPrefix.contains("}") else {
            throw .invalidConfiguration(
                "Redis keyPrefix",
                "\"\(self.keyPrefix)\"",
                allowed: "free of '{' and '}': the key name after it is the cluster hash tag"
            )
        }
        guard (1...Self.maximumPoolSize).contains(self.poolSize) else {
            throw .invalidConfiguration("Redis poolSize", self.poolSize, allowed: "in 1...\(Self.maximumPoolSize)")
        }
        try Self.check("connectTimeout", self.connectTimeout, from: .milliseconds(1))
        try Self.check("commandTimeout", self.commandTimeout, from: .milliseconds(1))
        try Self.check("minimumReconnectDelay", self.minimumReconnectDelay, from: .milliseconds(1))
        try Self.check("maximumReconnectDelay", self.maximumReconnectDelay, from: self.minimumReconnectDelay)
        try self.validateReplyLimits()
    }

    private static func check(_ name: String, _ value: Duration, from lowest: Duration) throws(RateLimitError) {
        guard value >= lowest, value <= Self.longestTimeout else {
            throw .invalidConfiguration("Redis \(name)", value, allowed: "in \(lowest)...\(Self.longestTimeout)")
        }
    }

    /// Throws `RateLimitError.Code.invalidConfiguration` unless `range` holds `value`.
    static func check(
        _ name: String,
        _ value: Int,
        in range: ClosedRange<Int>,
        _ unit: String = ""
    ) throws(RateLimitError) {
        guard range.contains(value) else {
            let allowed = "in \(range.lowerBound)...\(range.upperBound)\(unit)"
            throw .invalidConfiguration("Redis \(name)", value, allowed: allowed)
        }
    }
}
