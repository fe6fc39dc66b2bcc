/// The engine a result row measured, by name: one of the kit's ``BenchmarkEngine``s, or one its
/// caller measured (`ratelimit-bench` measures Redis itself). Encoded as the bare name.
package struct EngineName: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible {
    package let rawValue: String

    package init(rawValue: String) {
        self.rawValue = rawValue
    }

    package init(_ engine: BenchmarkEngine) {
        self.rawValue = engine.rawValue
    }

    /// The kit's engine of this name; `nil` for an engine measured outside the kit.
    package var benchmarkEngine: BenchmarkEngine? {
        BenchmarkEngine(rawValue: self.rawValue)
    }

    package var description: String { self.rawValue }

    /// The names in `names`, once each, in the order tables and charts list them: the kit's
    /// engines in their own order, then the others as they first appear.
    package static func ordered(_ names: some Sequence<EngineName>) -> [EngineName] {
        let present = Set(names)
        let known = BenchmarkEngine.allCases.map(EngineName.init).filter(present.contains)
        var others: [EngineName] = []
        for name in names where name.benchmarkEngine == nil && !others.contains(name) {
            others.append(name)
        }
        return known + others
    }
}
