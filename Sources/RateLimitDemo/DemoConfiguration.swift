import ArgumentParser
import Logging
import RateLimit
import RateLimitHummingbird

/// The demo's validated settings: what `ratelimit-demo`'s flags mean once every value is checked.
struct DemoConfiguration: Sendable {
    var host = "127.0.0.1"
    var port = 8080
    var engine = DemoEngine.inMemory(.atomic)
    /// The bucket policy; `nil` only with ``DemoEngine/none``.
    var policy: BucketPolicy?
    var headerStyle = RateLimitHeaderStyle.both
    /// `--shadow`: decide and count, never answer 429.
    var enforcement = RateLimitEnforcement.enforce
    /// Which decisions the decision timer records.
    var decisionTiming = DecisionTiming.automatic
    var trustedProxies = TrustedProxies.none
    var logLevel = Logger.Level.info
    /// The Redis server that holds the buckets instead of an in-memory engine, so that several
    /// demo processes share one limit.
    var redisURL: String?
    /// What decides while Redis is unreachable: `open`, `closed` or `fallback`.
    var redisFailure = "fallback"

    /// The outcome of reading the command line: settings to run with, or text to print.
    enum ParseError: Error, Equatable {
        /// `--help`: print the text to standard output and exit 0.
        case help(String)
        /// A bad flag or value: print the one-line message to standard error and exit 64.
        case usage(String)
    }

    /// Reads `ratelimit-demo`'s arguments (without the program name).
    ///
    /// Every rejection is a single line that names the flag, the value and what is accepted.
    static func parse(_ arguments: [String]) throws(ParseError) -> DemoConfiguration {
        do {
            let command = try DemoCommand.parse(arguments)
            return try command.validatedConfiguration()
        } catch let error as ValidationError {
            throw .usage(error.message)
        } catch {
            if DemoCommand.exitCode(for: error) == .success {
                throw .help(DemoCommand.fullMessage(for: error))
            }
            // ArgumentParser's own messages ("Unknown option '--x'") are already one line;
            // collapse any that are not.
            let lines = DemoCommand.message(for: error).split(whereSeparator: \.isNewline)
            throw .usage(lines.map { $0.drop(while: \.isWhitespace) }.joined(separator: " "))
        }
    }
}

/// `ratelimit-demo`'s command line. Parsing only: ``DemoConfiguration/parse(_:)`` validates.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ratelimit-demo",
        abstract: "The rate-limit tutorial's API on Hummingbird: GET /, /data, /health (exempt) and /metrics (exempt).",
        discussion: """
            Every client IP gets a token bucket of --capacity tokens that earns --refill tokens per --interval. \
            SIGINT or SIGTERM shuts the server down gracefully.
            """
    )

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    // Numbers are read as text so that a bad value gets the same one-line message, naming the
    // accepted range, as every other mistake.
    @Option(help: "The port to listen on, 0...65535 (0 picks a free port).")
    var port = "8080"

    @Option(
        help: ArgumentHelp(
            "The limiter engine: \(RateLimitEngine.names), or none (no limiting: the benchmark baseline).")
    )
    var engine = DemoEngine.inMemory(.atomic)

    @Option(help: "Bucket capacity: the largest burst, at least 1.")
    var capacity = "10"

    @Option(help: "Tokens earned back per --interval, 1...4294967296.")
    var refill = "2"

    @Option(help: "The refill interval: a whole number with a unit (ns, us, ms, s, m, h), such as 500ms or 1s.")
    var interval = "1s"

    @Option(help: "Rate-limit headers to send: legacy, ietf, both or none.")
    var headers = "both"

    @Flag(
        help: """
            Shadow mode: decide and take tokens as usual, send the headers, log and count would-be denials \
            (outcome shadow_denied), but never answer 429.
            """
    )
    var shadow = false

    @Option(
        help: """
            Which decisions ratelimit_decision_duration_seconds times: automatic (every Redis decision, \
            one in 64 on average in memory), all, off, or N for one in N (a power of two).
            """
    )
    var decisionTiming = "automatic"

    @Option(
        name: .customLong("trusted-proxy"),
        help:
            "A proxy address or CIDR block (such as 10.0.0.0/8 or ::1) whose forwarding header names the client. Repeatable."
    )
    var trustedProxies: [String] = []

    @Option(help: "The forwarding header the trusted proxies write: x-forwarded-for or forwarded.")
    var forwardingHeader = "x-forwarded-for"

    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical. Denials log at info.")
    var logLevel = "info"

    @Option(
        help:
            "Keep the buckets in Redis (redis://[user:password@]host[:port][/db]) instead of memory, to share one limit between processes."
    )
    var redis: String?

    @Option(
        help:
            "While Redis is unreachable: open (allow), closed (deny, Retry-After 1 s) or fallback (a local in-memory engine)."
    )
    var redisFailure = "fallback"

    /// Converts the parsed flags into checked settings, or throws a one-line `ValidationError`.
    func validatedConfiguration() throws(ValidationError) -> DemoConfiguration {
        var configuration = DemoConfiguration()
        configuration.host = self.host
        guard !self.host.isEmpty else {
            throw Self.invalid("--host", self.host, allowed: "an IP address or host name, such as 127.0.0.1")
        }
        configuration.port = try Self.integer(self.port, flag: "--port", in: 0...65535)
        configuration.engine = self.engine

        let capacity = try Self.integer(self.capacity, flag: "--capacity", in: 1...Int.max)
        let refill = try Self.integer(self.refill, flag: "--refill", in: 1...BucketPolicy.maximumRefill)
        let interval = try Self.duration(self.interval, flag: "--interval")
        do {
            let policy = try BucketPolicy(capacity: capacity, refill: refill, every: interval)
            configuration.policy = self.engine == .none ? nil : policy
        } catch {
            // The values are each in range, so the combination is what BucketPolicy rejects.
            throw ValidationError("\(error.message) (set by --capacity, --refill and --interval)")
        }

        guard let style = RateLimitHeaderStyle(self.headers) else {
            throw Self.invalid("--headers", self.headers, allowed: "one of legacy, ietf, both, none")
        }
        configuration.headerStyle = style
        configuration.enforcement = self.shadow ? .shadow : .enforce

        switch self.decisionTiming {
        case "automatic": configuration.decisionTiming = .automatic
        case "all": configuration.decisionTiming = .all
        case "off": configuration.decisionTiming = .off
        default:
            guard let period = Int(self.decisionTiming), let timing = try? DecisionTiming.oneIn(period) else {
                throw Self.invalid(
                    "--decision-timing", self.decisionTiming,
                    allowed: "automatic, all, off, or a power of two in 1...65536")
            }
            configuration.decisionTiming = timing
        }

        guard let header = TrustedProxies.ForwardingHeader(rawValue: self.forwardingHeader) else {
            throw Self.invalid("--forwarding-header", self.forwardingHeader, allowed: "x-forwarded-for or forwarded")
        }
        do {
            configuration.trustedProxies = try TrustedProxies(self.trustedProxies, header: header)
        } catch {
            throw ValidationError("--trusted-proxy: \(error.message)")
        }

        guard let level = Logger.Level(rawValue: self.logLevel) else {
            let levels = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            throw Self.invalid("--log-level", self.logLevel, allowed: "one of \(levels)")
        }
        configuration.logLevel = level

        if let redis = self.redis {
            guard self.engine != .none else {
                throw Self.invalid(
                    "--redis",
                    "with --engine none",
                    allowed: "used with an in-memory engine, which it replaces; none disables limiting",
                    quoted: false
                )
            }
            configuration.redisURL = redis
        }
        guard ["open", "closed", "fallback"].contains(self.redisFailure) else {
            throw Self.invalid("--redis-failure", self.redisFailure, allowed: "one of open, closed, fallback")
        }
        configuration.redisFailure = self.redisFailure
        return configuration
    }

    /// A one-line rejection naming the flag, its value (quoted, at most 40 characters) and what
    /// is accepted: `invalid --port "65536": must be a whole number in 0...65535`.
    static func invalid(_ flag: String, _ value: String, allowed: String, quoted: Bool = true) -> ValidationError {
        let shown = quoted ? "\"\(value.prefix(40))\"" : value
        return ValidationError(RateLimitError.invalidConfiguration(flag, shown, allowed: allowed).message)
    }

    /// Parses a decimal integer in `range`.
    static func integer(_ text: String, flag: String, in range: ClosedRange<Int>) throws(ValidationError) -> Int {
        guard text.utf8.count <= 20, text.allSatisfy({ $0.isASCII && $0.isWholeNumber }), let value = Int(text),
            range.contains(value)
        else {
            throw Self.invalid(flag, text, allowed: "a whole number in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// Parses a duration such as `500ms`: a whole number followed by `ns`, `us`, `µs`, `ms`,
    /// `s`, `m` or `h`.
    static func duration(_ text: String, flag: String) throws(ValidationError) -> Duration {
        // Nanoseconds per unit.
        let units: [(String, Int64)] = [
            ("ns", 1), ("us", 1_000), ("µs", 1_000), ("ms", 1_000_000),
            ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000),
        ]
        let digits = text.prefix(while: { $0.isASCII && $0.isWholeNumber })
        let unit = text.dropFirst(digits.count)
        guard !digits.isEmpty, digits.count <= 18, let value = Int64(digits),
            let (_, size) = units.first(where: { $0.0 == unit })
        else {
            throw Self.invalid(
                flag,
                text,
                allowed: "a whole number with a unit (ns, us, ms, s, m, h), such as 500ms or 1s"
            )
        }
        let (result, overflow) = size.multipliedReportingOverflow(by: value)
        guard !overflow else {
            throw Self.invalid(flag, text, allowed: "at most \(Int64.max) ns")
        }
        return .nanoseconds(result)
    }
}
