/// The in-memory engines by name: the one place that turns a name into an engine.
///
/// Read it from configuration (`engine = atomic`) with ``init(parsing:)`` and build the engine
/// with ``make(policy:maxKeys:clock:keyType:)``. The three engines give identical decisions, so
/// the choice is only about speed and memory; `ratelimit-bench` measures it on your machine.
///
/// A fourth engine is added here: a case, its name, and one line in ``make(policy:maxKeys:clock:keyType:)``;
/// the tests, the demo and the benchmark harness then run it too.
public enum RateLimitEngine: String, CaseIterable, Codable, Sendable, CustomStringConvertible {
    /// ``MutexRateLimiter``: one lock around one table.
    case mutex
    /// ``AtomicRateLimiter``: each bucket in one 64-bit word, updated by compare-and-swap.
    case atomic
    /// ``ShardedRateLimiter``: a lock per shard, keys spread over the shards by hash.
    case sharded

    /// Reads an engine name: `mutex`, `atomic` or `sharded`.
    ///
    /// - Throws: ``RateLimitError/Code/invalidConfiguration`` naming the text and the allowed names.
    public init(parsing text: String) throws(RateLimitError) {
        guard let engine = Self(rawValue: text) else {
            throw .invalidConfiguration("engine", "\"\(text.prefix(40))\"", allowed: "one of \(Self.names)")
        }
        self = engine
    }

    /// The engine names, comma-separated, for messages and help texts.
    public static var names: String {
        Self.allCases.map(\.rawValue).joined(separator: ", ")
    }

    /// The name, such as `atomic`.
    public var description: String { self.rawValue }

    /// Makes an engine of this kind.
    ///
    /// Each engine's own initialiser takes the same parameters (and the sharded engine a shard
    /// count); use it directly where the concrete type matters, for example to let the compiler
    /// specialise a hot loop. This returns an existential, so each decision goes through a witness
    /// table.
    ///
    /// - Parameters:
    ///   - policy: The policy of every bucket.
    ///   - maxKeys: The most buckets kept at once, in `1...2³⁰`.
    ///   - clock: The time source.
    ///   - keyType: The key type, when the context does not name it.
    /// - Throws: ``RateLimitError/Code/invalidConfiguration`` for a `maxKeys` out of range.
    public func make<Key: Hashable & Sendable>(
        policy: BucketPolicy,
        maxKeys: Int = RateLimiterDefaults.maxKeys,
        clock: some RateLimitClock = MonotonicClock(),
        keyType: Key.Type = Key.self
    ) throws(RateLimitError) -> any FastPathRateLimiter<Key> {
        switch self {
        case .mutex: try MutexRateLimiter<Key>(policy: policy, maxKeys: maxKeys, clock: clock)
        case .atomic: try AtomicRateLimiter<Key>(policy: policy, maxKeys: maxKeys, clock: clock)
        case .sharded: try ShardedRateLimiter<Key>(policy: policy, maxKeys: maxKeys, clock: clock)
        }
    }
}
