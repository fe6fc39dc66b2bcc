@testable import RateLimit

/// A small concurrent situation whose every schedule the explorer runs.
struct InterleavingScenario: Sendable, CustomStringConvertible {
    var name: String
    var engine: RateLimitEngine
    /// For the sharded engine: the shard count.
    var shards = 1
    var policy: BucketPolicy
    var maxKeys: Int
    var start: Int64
    /// Where keys live, key → `home` (see `ProbeKey`); a key not listed has its id as its home.
    var homes: [Int: Int] = [:]
    /// Run one after another on the exploring thread before the callers start.
    var setUp: [Operation]
    /// One list per caller thread (A, B, …), explored in every interleaving.
    var callers: [[Operation]]
    /// Run one after another once every caller is done: their decisions are checked too, so a lost
    /// or doubled update that no caller saw still fails.
    var tearDown: [Operation]
    /// Whether no grace period runs in the scenario (no growth, rebase or reuse of entries): its
    /// schedules then skip the read-section counter points, and the explorer fails if a grace
    /// period runs after all.
    var graceFree = false
    /// Over a thousand schedules: skipped under ThreadSanitizer, which slows each ten times over
    /// and would starve the suites running beside it. The plain `swift test` run explores them
    /// all; under TSan the light ones show the hooks and the explorer race-free, and TSan adds
    /// nothing else to a run in which one thread moves at a time.
    var heavy = false
    /// Whether every decision goes through the engine's handles (``FastPathDecisions``), a
    /// handle made at a key's first decision and kept for the scenario.
    var decidesThroughHandles = false
    /// The interleaving the scenario exists for: at least one schedule must show it.
    var witness: @Sendable (History, [String]) -> Bool

    var description: String { "\(self.engine)\(self.decidesThroughHandles ? " (handles)" : ""): \(self.name)" }

    /// The scenario's keys by id. Made once per exploration: a key's hash input is searched for.
    func probeKeys() -> [Int: ProbeKey] {
        let ids = Set((self.setUp + self.callers.joined() + self.tearDown).map(\.key))
        return Dictionary(uniqueKeysWithValues: ids.map { ($0, ProbeKey(id: $0, home: self.homes[$0] ?? $0)) })
    }

    func makeLimiter() throws -> any BoundedRateLimiter<ProbeKey> {
        // The scenarios pin the shard count (the registry builds the default one); every other
        // engine comes from the registry, so a new engine is explored without an edit here.
        let engine: any FastPathRateLimiter<ProbeKey> =
            self.engine == .sharded
            ? try ShardedRateLimiter(
                policy: self.policy, maxKeys: self.maxKeys, clock: ExplorerClock(), shards: self.shards)
            : try self.engine.make(policy: self.policy, maxKeys: self.maxKeys, clock: ExplorerClock())
        return self.decidesThroughHandles ? fastPathDecisions(engine, path: .handles) : engine
    }

    /// The shard of a key: the low bits of its hash (see `ShardedRateLimiter`).
    func partition(of key: ProbeKey) -> Int {
        self.engine == .sharded ? key.hashValue & (self.shards - 1) : 0
    }
}
