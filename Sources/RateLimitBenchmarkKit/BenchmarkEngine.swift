import RateLimit

/// What the harness measures in-process: each of `RateLimit`'s engines, and four reference rows.
///
/// Encoded, parsed and printed by name (`mutex`, …, `floor`, `floor-keyed`, `floor-probed`,
/// `tutorial`). Engines measured
/// elsewhere (`ratelimit-bench` measures Redis itself) appear in results as an ``EngineName``.
package enum BenchmarkEngine: RawRepresentable, Hashable, CaseIterable, Codable, Sendable, CustomStringConvertible {
    /// One of the package's engines, made through ``RateLimitEngine``.
    case engine(RateLimitEngine)
    /// The least work a precise decision needs: one clock read and one uncontended compare-and-swap
    /// on a thread-private word. Every engine's ops/s is reported as a ratio of this row's.
    case floor
    /// The least work a decision on a key needs: one clock read and one compare-and-swap on the
    /// key's word in a plain array indexed by the `Int` key — no hash, no probe
    /// (``KeyedFloorLimiter``). Measured on the workloads of `Int` keys drawn from `--keys`
    /// (see ``measures(_:)``); engines are also reported as a ratio of this row's there.
    case floorKeyed
    /// ``floorKeyed`` with a hash and a linear probe over {key, word} cells in between
    /// (``ProbedFloorLimiter``): one dependent cache miss, the least an engine's index can cost.
    /// A diagnostic row, measured only when named (`--engines`), on ``floorKeyed``'s workloads.
    case floorProbed
    /// The tutorial's design ported faithfully: a lock around a dictionary of buckets, a lock per
    /// bucket, wall-clock time — what a user would otherwise write.
    case tutorial
    /// An engine of the caller's (``BenchmarkableEngine``): never parsed from a name, never in
    /// ``allCases``.
    case custom(CustomEngine)

    package static let mutex = Self.engine(.mutex)
    package static let atomic = Self.engine(.atomic)
    package static let sharded = Self.engine(.sharded)

    /// Every engine, then the reference rows.
    package static var allCases: [BenchmarkEngine] {
        RateLimitEngine.allCases.map(Self.engine) + [.floor, .floorKeyed, .floorProbed, .tutorial]
    }

    /// The engines of the default sweep: all but the diagnostic ``floorProbed``.
    package static var localEngines: [BenchmarkEngine] { Self.allCases.filter { $0 != .floorProbed } }

    package init?(rawValue: String) {
        switch rawValue {
        case "floor": self = .floor
        case "floor-keyed": self = .floorKeyed
        case "floor-probed": self = .floorProbed
        case "tutorial": self = .tutorial
        default:
            guard let engine = RateLimitEngine(rawValue: rawValue) else { return nil }
            self = .engine(engine)
        }
    }

    /// The name, such as `atomic` or `floor`.
    package var rawValue: String {
        switch self {
        case .engine(let engine): engine.rawValue
        case .floor: "floor"
        case .floorKeyed: "floor-keyed"
        case .floorProbed: "floor-probed"
        case .tutorial: "tutorial"
        case .custom(let engine): engine.name
        }
    }

    package var description: String { self.rawValue }

    /// The package's engine this row measures; `nil` for a reference row.
    package var rateLimitEngine: RateLimitEngine? {
        if case .engine(let engine) = self { engine } else { nil }
    }

    /// Whether this is an engine (the package's or the caller's), not a reference row.
    package var isRateLimiter: Bool {
        switch self {
        case .engine, .custom: true
        case .floor, .floorKeyed, .floorProbed, .tutorial: false
        }
    }

    /// Whether this is one of the floors: throughput references, never measured open loop.
    package var isFloor: Bool {
        switch self {
        case .floor, .floorKeyed, .floorProbed: true
        case .engine, .tutorial, .custom: false
        }
    }

    /// Whether this row has a cell for `workload`. Every row has, except:
    /// - ``floorKeyed`` and ``floorProbed``, which hold the `Int` keys of `0..<keys` — not the IP
    ///   strings of `uniform-ip`, the trace's strings, nor churn's ever-new keys;
    /// - the fast-path workloads (`hot-allow-at`, `hot-allow-handle`), which only the package's
    ///   engines and ``floor`` (with one clock read per 64 decisions on `hot-allow-at`) run.
    package func measures(_ workload: Workload) -> Bool {
        if workload.usesFastPaths {
            return self.rateLimitEngine != nil || self == .floor
        }
        guard self == .floorKeyed || self == .floorProbed else { return true }
        return switch workload {
        case .hotAllow, .hotDeny, .uniformAllow, .zipfAllow: true
        case .churn, .uniformIP, .trace, .hotAllowAt, .hotAllowHandle: false
        }
    }

    /// Parses a comma-separated list such as `mutex,atomic`.
    package static func parseList(_ text: String) throws(ArgumentError) -> [BenchmarkEngine] {
        try ArgumentParsing.list(text, allowed: Self.allCases.map(\.rawValue)) { BenchmarkEngine(rawValue: $0) }
    }
}
