import RateLimit

/// A rate limiter of your own, measured beside the package's engines: the same workloads, cells,
/// result files, charts and recommendation (see ``RateLimitBenchmark``).
///
/// ```swift
/// struct SpinLockEngine: BenchmarkableEngine {
///     let name = "spinlock"
///
///     func makeLimiter(policy: BucketPolicy, maxKeys: Int, clock: MonotonicClock) throws
///         -> any RateLimiter<Int>
///     {
///         try SpinLockRateLimiter<Int>(policy: policy, maxKeys: maxKeys, clock: clock)
///     }
///
///     func makeStringKeyedLimiter(policy: BucketPolicy, maxKeys: Int, clock: MonotonicClock) throws
///         -> any RateLimiter<String>
///     {
///         try SpinLockRateLimiter<String>(policy: policy, maxKeys: maxKeys, clock: clock)
///     }
/// }
/// ```
///
/// The harness makes a fresh limiter for every repetition of every cell: `Int` keys for every
/// workload but `uniform-ip`, which uses `String` keys.
///
/// The harness calls your limiter through `any RateLimiter<Key>`, where it calls the package's
/// engines through their concrete types, specialised and inlined into the measured loop. That
/// costs yours time per decision, and more when the conformance it is called through is generic
/// (a generic type's witness runs its unspecialised code). Measured with
/// `Examples/CustomEngine` (`swift run -c release CustomEngineBenchmark 250`) on the 2-vCPU
/// development VM, one thread, hot-deny (`results/x86_64-2c-amd-epyc/2026-12-03-custom-engine.md`):
/// the package's `atomic` engine took 41 ns per decision built in, 67 ns registered behind
/// non-generic wrapper structs (as the example registers its own engine), and 116 ns registered as
/// its generic type. Wrap a generic engine in a non-generic struct per key
/// type, and compare your engine with such a registration of a built-in one rather than with the
/// built-in row.
public protocol BenchmarkableEngine: Sendable {
    /// The engine's name in tables, files and charts: 1 to 32 letters, digits, `-` or `_`, and
    /// none of the names the package uses (`mutex`, `atomic`, `sharded`, `floor`, `floor-keyed`,
    /// `tutorial`, `redis`).
    var name: String { get }

    /// A new, empty limiter for `Int` keys that applies `policy`, tracks at most `maxKeys` keys
    /// (the `churn` workload floods that bound) and reads `clock`.
    func makeLimiter(policy: BucketPolicy, maxKeys: Int, clock: MonotonicClock) throws -> any RateLimiter<Int>

    /// The same for `String` keys (the `uniform-ip` workload's IPv4 address strings).
    func makeStringKeyedLimiter(policy: BucketPolicy, maxKeys: Int, clock: MonotonicClock) throws
        -> any RateLimiter<String>
}

/// A caller's limiter behind a concrete type, so that the measured loop is specialised for it
/// and only `acquire` is called through the existential.
struct IndirectRateLimiter<Key: Hashable & Sendable>: RateLimiter {
    let base: any RateLimiter<Key>

    var policy: BucketPolicy { self.base.policy }

    func acquire(_ key: Key, cost: Int) -> RateLimitDecision {
        self.base.acquire(key, cost: cost)
    }

    func acquire(_ key: Key, cost: Int) async throws -> RateLimitDecision {
        try await self.base.acquire(key, cost: cost)
    }
}

/// A ``BenchmarkableEngine`` inside the harness: compared and hashed by name.
package struct CustomEngine: Hashable, Sendable {
    package let engine: any BenchmarkableEngine

    package init(_ engine: any BenchmarkableEngine) {
        self.engine = engine
    }

    package var name: String { self.engine.name }

    package static func == (lhs: CustomEngine, rhs: CustomEngine) -> Bool {
        lhs.name == rhs.name
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(self.name)
    }

    /// Names the package uses for its own rows.
    static let reservedNames: Set<String> = Set(BenchmarkEngine.allCases.map(\.rawValue) + ["redis"])

    /// Checks `engines`' names: valid, not reserved, each used once.
    static func validate(_ engines: [any BenchmarkableEngine]) throws(ArgumentError) {
        var seen: Set<String> = []
        for engine in engines {
            let name = engine.name
            guard (1...32).contains(name.count),
                name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
            else {
                throw .invalid("engine name", name, mustBe: "1 to 32 letters, digits, '-' or '_'")
            }
            guard !self.reservedNames.contains(name) else {
                throw .invalid(
                    "engine name", name,
                    mustBe: "none of the package's own names (\(self.reservedNames.sorted().joined(separator: ", ")))")
            }
            guard seen.insert(name).inserted else {
                throw .invalid("engine name", name, mustBe: "used by one engine only")
            }
        }
    }
}
