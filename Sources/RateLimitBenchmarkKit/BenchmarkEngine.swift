/// An engine the harness can measure: the three engines of `RateLimit` and two reference rows.
package enum BenchmarkEngine: String, CaseIterable, Codable, Sendable, CustomStringConvertible {
    case mutex
    case atomic
    case sharded
    /// The least work a precise decision needs: one clock read and one uncontended compare-and-swap
    /// on a thread-private word. Every engine's ops/s is reported as a ratio of this row's.
    case floor
    /// The tutorial's design ported faithfully: a lock around a dictionary of buckets, a lock per
    /// bucket, wall-clock time — what a user would otherwise write.
    case tutorial
    /// `RateLimitRedis` against a running Redis (`--redis URL`): asynchronous callers instead of
    /// threads, measured by `ratelimit-bench` itself; never part of the default sweep.
    case redis

    package var description: String { self.rawValue }

    /// The engines of the default sweep: everything that runs without a server.
    package static let localEngines: [BenchmarkEngine] = [.mutex, .atomic, .sharded, .floor, .tutorial]

    /// Whether this is one of the package's engines (not a reference row).
    package var isRateLimiter: Bool {
        switch self {
        case .mutex, .atomic, .sharded: true
        case .floor, .tutorial, .redis: false
        }
    }

    /// Parses a comma-separated list such as `mutex,atomic`.
    package static func parseList(_ text: String) throws(ArgumentError) -> [BenchmarkEngine] {
        try parseCommaSeparated(text, allowed: Self.allCases.map(\.rawValue)) { BenchmarkEngine(rawValue: $0) }
    }
}

/// The clock the engines under test read.
package enum ClockChoice: String, CaseIterable, Codable, Sendable, CustomStringConvertible {
    /// `CLOCK_MONOTONIC`: precise.
    case precise
    /// `CLOCK_MONOTONIC_COARSE`: cheaper, with the kernel tick's resolution.
    case coarse

    package var description: String { self.rawValue }

    package static func parse(_ text: String) throws(ArgumentError) -> ClockChoice {
        guard let clock = ClockChoice(rawValue: text) else {
            throw ArgumentError("unknown clock '\(text)': allowed values are \(Self.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return clock
    }
}

/// A command-line value that cannot be used, with a one-line message naming the allowed values.
package struct ArgumentError: Error, CustomStringConvertible, Sendable {
    package let description: String

    package init(_ description: String) {
        self.description = description
    }
}

func parseCommaSeparated<Value: Equatable>(
    _ text: String,
    allowed: [String],
    _ make: (String) -> Value?
) throws(ArgumentError) -> [Value] {
    var values: [Value] = []
    for part in text.split(separator: ",", omittingEmptySubsequences: false) {
        let name = String(part).trimmingWhitespace()
        guard let value = make(name) else {
            throw ArgumentError("unknown value '\(name)': allowed values are \(allowed.joined(separator: ", "))")
        }
        if !values.contains(value) { values.append(value) }
    }
    guard !values.isEmpty else {
        throw ArgumentError("empty list: allowed values are \(allowed.joined(separator: ", "))")
    }
    return values
}

extension String {
    func trimmingWhitespace() -> String {
        String(self.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}

/// Parses the harness's list and count arguments.
package enum ArgumentParsing {
    /// A comma-separated list of thread counts, each in `1...1024`.
    package static func threadCounts(_ text: String) throws(ArgumentError) -> [Int] {
        var counts: [Int] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = String(part).trimmingWhitespace()
            guard let count = Int(item), (1...1024).contains(count) else {
                throw ArgumentError("invalid thread count '\(item)': each must be an integer in 1...1024, e.g. 1,2,4,8")
            }
            if !counts.contains(count) { counts.append(count) }
        }
        return counts
    }

    /// A positive integer in `range`, for a flag called `name`.
    package static func integer(_ text: String, name: String, in range: ClosedRange<Int>) throws(ArgumentError) -> Int {
        guard let value = Int(text.trimmingWhitespace()), range.contains(value) else {
            throw ArgumentError("invalid \(name) '\(text)': must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// A count in `range`, written as an integer (`1000000`) or in powers of ten (`1e6`, `2.5e9`),
    /// for a flag called `name`.
    package static func count(_ text: String, name: String, in range: ClosedRange<Int>) throws(ArgumentError) -> Int {
        let trimmed = text.trimmingWhitespace()
        var value = Int(trimmed)
        if value == nil, trimmed.contains(where: { $0 == "e" || $0 == "E" }), let number = Double(trimmed), number.isFinite,
            number == number.rounded(), number >= Double(range.lowerBound), number <= Double(range.upperBound)
        {
            value = Int(number)
        }
        guard let value, range.contains(value) else {
            throw ArgumentError("invalid \(name) '\(text)': must be a whole number in \(range.lowerBound)...\(range.upperBound), such as 1000000 or 1e6")
        }
        return value
    }

    /// A fraction in `0...1`.
    package static func fraction(_ text: String, name: String) throws(ArgumentError) -> Double {
        guard let value = Double(text.trimmingWhitespace()), value >= 0, value <= 1 else {
            throw ArgumentError("invalid \(name) '\(text)': must be a number in 0...1, e.g. 0.1")
        }
        return value
    }

    /// A duration such as `2s`, `250ms`, `1.5s`, `1m` or `500us`, in `1 ms...1 h`.
    package static func duration(_ text: String) throws(ArgumentError) -> Duration {
        let trimmed = text.trimmingWhitespace()
        let units: [(String, Double)] = [("ms", 1e6), ("us", 1e3), ("µs", 1e3), ("ns", 1), ("s", 1e9), ("m", 60e9), ("h", 3600e9)]
        for (suffix, nanosecondsPerUnit) in units where trimmed.hasSuffix(suffix) {
            let number = trimmed.dropLast(suffix.count)
            if let value = Double(number), value.isFinite {
                let nanoseconds = value * nanosecondsPerUnit
                if nanoseconds >= 1e6 && nanoseconds <= 3600e9 {
                    return .nanoseconds(Int64(nanoseconds.rounded()))
                }
            }
            break
        }
        throw ArgumentError("invalid duration '\(text)': must be a number with a unit (ns, us, ms, s, m, h) between 1ms and 1h, e.g. 2s or 250ms")
    }
}
