import ArgumentParser
import RateLimit

/// `--engine`: one of the library's in-memory engines, or none at all.
enum DemoEngine: Hashable, Sendable {
    /// An engine from the library's registry, by its name (`mutex`, `atomic`, `sharded`).
    case inMemory(RateLimitEngine)
    /// No limiter and no middleware: the baseline for `Benchmarks/http/run.sh`.
    case none
}

// ArgumentParser lists `allCases` in the help text and in the message for an unknown name, so
// an engine added to `RateLimitEngine` appears here without an edit.
extension DemoEngine: CaseIterable, RawRepresentable, ExpressibleByArgument {
    static var allCases: [DemoEngine] {
        RateLimitEngine.allCases.map(Self.inMemory) + [.none]
    }

    init?(rawValue: String) {
        if rawValue == "none" {
            self = .none
        } else if let engine = try? RateLimitEngine(parsing: rawValue) {
            self = .inMemory(engine)
        } else {
            return nil
        }
    }

    var rawValue: String {
        switch self {
        case .inMemory(let engine): engine.rawValue
        case .none: "none"
        }
    }
}
