import RateLimitBenchmarkKit

/// What `--engines` selects: the kit's engines and reference rows, or Redis, which this
/// executable measures itself (asynchronous callers against a server, not threads in-process).
enum EngineSelection: Hashable, Sendable, CustomStringConvertible {
    case local(BenchmarkEngine)
    case redis

    /// The kit's engines in their order, then Redis.
    static var allCases: [EngineSelection] {
        BenchmarkEngine.allCases.map(Self.local) + [.redis]
    }

    /// The name in flags and results, such as `atomic` or `redis`.
    var name: EngineName {
        switch self {
        case .local(let engine): EngineName(engine)
        case .redis: EngineName(rawValue: "redis")
        }
    }

    var description: String { self.name.rawValue }

    /// The kit's engine; `nil` for Redis.
    var local: BenchmarkEngine? {
        if case .local(let engine) = self { engine } else { nil }
    }

    /// Parses a comma-separated list such as `mutex,redis`.
    static func parseList(_ text: String) throws(ArgumentError) -> [EngineSelection] {
        let all = Self.allCases
        return try ArgumentParsing.list(text, allowed: all.map(\.description)) { name in
            all.first { $0.description == name }
        }
    }
}
