import RateLimit
import RateLimitTesting
import Synchronization

/// Long-running correctness under contention, on three kinds of clock: frozen (the exact number of
/// tokens is known), scripted-stale (threads decide with readings from before other threads'
/// drops, as a preempted thread does) and real (admissions within bounds that hold whatever the
/// scheduler does). Counts every token admitted beyond a bound (over-admission) or short of it
/// (under-admission).
package enum StressRunner {
    /// What one engine did over the whole run.
    package struct Outcome: Sendable, CustomStringConvertible {
        package var engine: RateLimitEngine
        package var rounds = 0
        package var decisions = 0
        /// Decisions per kind of clock.
        package var decisionsByClock: [String: Int] = [:]
        /// Tokens admitted beyond what the bucket held (frozen clock) or could have earned.
        package var overAdmitted = 0
        /// Tokens not admitted although the bucket held them (frozen clock) or demand was saturating (real clock).
        package var underAdmitted = 0
        /// Decisions whose fields contradict each other (remaining out of range, and so on).
        package var inconsistentDecisions = 0
        /// Buckets evicted while they still owed tokens in the scripted-stale rounds, each
        /// allowing up to a capacity more (the documented exception).
        package var staleRoundEvictions = 0
        /// The first few violations, described.
        package var firstViolations: [String] = []

        package var isClean: Bool {
            self.overAdmitted == 0 && self.underAdmitted == 0 && self.inconsistentDecisions == 0
        }

        package var description: String {
            let clocks = self.decisionsByClock.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(
                separator: ", ")
            return
                "\(self.engine): \(self.rounds) rounds, \(self.decisions) decisions (\(clocks)), over-admitted \(self.overAdmitted), under-admitted \(self.underAdmitted), inconsistent \(self.inconsistentDecisions), evictions in stale rounds \(self.staleRoundEvictions)"
        }

        mutating func record(admitted: Int, lowerBound: Int, upperBound: Int, _ label: String) {
            if admitted > upperBound { self.overAdmitted += admitted - upperBound }
            if admitted < lowerBound { self.underAdmitted += lowerBound - admitted }
            if (admitted > upperBound || admitted < lowerBound) && self.firstViolations.count < 5 {
                self.firstViolations.append("\(label): admitted \(admitted), bounds \(lowerBound)...\(upperBound)")
            }
        }

        mutating func count(_ decisions: Int, on clock: String) {
            self.decisions += decisions
            self.decisionsByClock[clock, default: 0] += decisions
        }
    }

    /// When a run stops: after a duration, once an engine has made a number of decisions, or after
    /// a number of rounds.
    package enum Limit: Sendable {
        case duration(Duration)
        case decisions(Int)
        case rounds(Int)
    }

    /// How big each round is: `full` for the command (millions of decisions per round, so that a
    /// billion is reached in minutes), `small` for unit tests in debug builds and under TSan.
    package struct RoundSize: Sendable {
        /// The frozen hot key's capacity (its refill is a tenth of it per second).
        var hotKeyCapacity: Int
        /// Decisions per thread in the eviction round.
        var evictionDecisions: Int
        /// Generations of keys in the scripted-stale round.
        var generations: Int
        /// How long the real-clock round runs.
        var realClockNanoseconds: Int64

        package static let full = RoundSize(
            hotKeyCapacity: 2_000_000, evictionDecisions: 200_000, generations: 128, realClockNanoseconds: 300_000_000)
        package static let small = RoundSize(
            hotKeyCapacity: 5_000, evictionDecisions: 4_000, generations: 8, realClockNanoseconds: 100_000_000)
    }

    /// Runs rounds on `engine` — the four kinds in turn, cycling through `threads` and both refill
    /// modes — until `limit` is reached.
    package static func run(
        engine: RateLimitEngine,
        threads: [Int],
        limit: Limit,
        size: RoundSize = .full,
        progress: (String) -> Void
    ) -> Outcome {
        var outcome = Outcome(engine: engine)
        let clock = MonotonicClock()
        let deadline: Int64
        if case .duration(let duration) = limit {
            deadline = clock.monotonicNanoseconds() + duration.saturatingNanoseconds
        } else {
            deadline = .max
        }
        var round = 0
        var lastReport = clock.monotonicNanoseconds()
        while true {
            switch limit {
            case .duration: if clock.monotonicNanoseconds() >= deadline { return outcome }
            case .decisions(let target): if outcome.decisions >= target { return outcome }
            case .rounds(let target): if outcome.rounds >= target { return outcome }
            }
            // Every four rounds run each kind once, so that a short run covers them all.
            let threadCount = threads[(round / 4) % threads.count]
            let mode: RefillMode = (round / (4 * threads.count)) % 2 == 0 ? .smooth : .stepped
            switch round % 4 {
            case 0: self.frozenHotKey(engine, threads: threadCount, mode: mode, size, &outcome)
            case 1: self.frozenEviction(engine, threads: threadCount, mode: mode, size, &outcome)
            case 2: self.staleDrops(engine, threads: threadCount, mode: mode, size, &outcome)
            default: self.realClock(engine, threads: threadCount, mode: mode, size, &outcome)
            }
            round += 1
            outcome.rounds = round
            let now = clock.monotonicNanoseconds()
            if now - lastReport >= 10_000_000_000 {
                progress("stress \(engine): \(outcome)")
                lastReport = now
            }
        }
    }

    static func make(
        _ engine: RateLimitEngine,
        _ policy: BucketPolicy,
        maxKeys: Int,
        clock: some RateLimitClock
    ) -> any BoundedRateLimiter<Int> {
        do {
            return try engine.make(policy: policy, maxKeys: maxKeys, clock: clock)
        } catch {
            preconditionFailure("stress policies are valid: \(error)")
        }
    }

    /// A hot key with random costs on a frozen clock: admitted costs must sum to exactly the
    /// capacity, then to exactly the refill of the interval the clock is moved by.
    static func frozenHotKey(
        _ engine: RateLimitEngine,
        threads: Int,
        mode: RefillMode,
        _ size: RoundSize,
        _ outcome: inout Outcome
    ) {
        let capacity = size.hotKeyCapacity
        let policy = try! BucketPolicy(capacity: capacity, refill: capacity / 10, every: .seconds(1), mode: mode)
        let clock = ManualClock()
        let limiter = self.make(engine, policy, maxKeys: 1024, clock: clock)
        for (advance, expected) in [(Int64(0), capacity), (2_000_000_000, capacity / 5)] {
            try! clock.advance(nanoseconds: advance)
            let (admitted, decisions, inconsistent) = self.exhaust(
                limiter, key: 0, threads: threads, capacity: policy.capacity)
            outcome.count(decisions, on: "frozen")
            outcome.inconsistentDecisions += inconsistent
            outcome.record(
                admitted: admitted, lowerBound: expected, upperBound: expected, "\(mode) hot key, \(threads) threads")
        }
    }

    /// Keys far beyond `maxKeys` on a frozen clock: evictions forget debts, but no bucket
    /// incarnation may give more than its capacity — admitted ≤ capacity × insertions.
    static func frozenEviction(
        _ engine: RateLimitEngine,
        threads: Int,
        mode: RefillMode,
        _ size: RoundSize,
        _ outcome: inout Outcome
    ) {
        let policy = try! BucketPolicy(capacity: 20, refill: 1, every: .seconds(1), mode: mode)
        let limiter = self.make(engine, policy, maxKeys: 64, clock: ManualClock())
        let perThread = size.evictionDecisions
        let results = PerThreadResults(count: threads, initial: 0)
        RealThreads.run(threads) { thread in
            var random = SplitMix64(seed: UInt64(thread) &+ 99)
            results.update(thread) { admitted in
                for _ in 0..<perThread {
                    if limiter.acquire(Int(random.next() % 256), cost: 1).isAllowed { admitted += 1 }
                }
            }
        }
        let statistics = limiter.statistics
        let insertions = statistics.trackedKeys + statistics.evictedBuckets + statistics.expiredBuckets
        outcome.count(threads * perThread, on: "frozen")
        outcome.record(
            admitted: results.all.reduce(0, +), lowerBound: 0, upperBound: policy.capacity * insertions,
            "\(mode) eviction pressure, \(threads) threads")
    }

    /// Scripted-stale readings meeting drops. Generation `g` of 8 keys lives at readings in
    /// `[3g, 3g + 1)` ms; a bucket refills in 2 ms, so by generation `g`'s readings every bucket of
    /// earlier generations is full. The table holds 16 keys: an insert into a full table examines
    /// all 16 and drops every full bucket — all but generation `g`'s 8 — so nothing that still owes
    /// tokens is evicted (except in a partition of a partitioned engine). One decision in
    /// four comes from a thread "preempted" since the previous generation: a key and a reading of
    /// generation `g − 1`, whose bucket may just have been dropped with a later reading. No key may
    /// admit more than a bucket earns between its earliest and its latest admission's readings
    /// (see `StaleReadingScenarios` for why the bound is per key); evictions (buckets that still
    /// owed tokens) allow a capacity each, counted.
    static func staleDrops(
        _ engine: RateLimitEngine,
        threads: Int,
        mode: RefillMode,
        _ size: RoundSize,
        _ outcome: inout Outcome
    ) {
        let policy = try! BucketPolicy(capacity: 8, refill: 4, every: .milliseconds(1), mode: mode)
        let generationKeys = 8
        let generations = size.generations
        let decisionsPerGeneration = 4096
        let millisecond: Int64 = 1_000_000
        let clock = ThreadScriptedClock()
        // One shard for the sharded engine: a partition of two keys (its default here) turns almost
        // every insert into an eviction, and each eviction's slack would hide what the round looks
        // for. Per-shard floors are the conformance and interleaving suites' business.
        let limiter =
            engine == .sharded
            ? try! ShardedRateLimiter<Int>(policy: policy, maxKeys: 2 * generationKeys, clock: clock, shards: 1)
            : self.make(engine, policy, maxKeys: 2 * generationKeys, clock: clock)
        let started = Atomic<Int>(0)
        let keys = generations * generationKeys
        let results = PerThreadResults(count: threads, initial: StaleTally(keys: keys))
        RealThreads.run(threads) { thread in
            var random = SplitMix64(seed: UInt64(thread) &* 0x51A1E &+ 1)
            results.update(thread) { tally in
                while true {
                    let decision = started.wrappingAdd(1, ordering: .relaxed).oldValue
                    let generation = decision / decisionsPerGeneration
                    if generation >= generations { break }
                    let stale = generation > 0 && random.next() % 4 == 0
                    let used = stale ? generation - 1 : generation
                    let key = used * generationKeys + Int(random.next() % UInt64(generationKeys))
                    let reading = Int64(used) * 3 * millisecond + Int64(random.next() % UInt64(millisecond))
                    clock.set(reading)
                    let answer = limiter.acquire(key)
                    tally.decisions += 1
                    if !answer.isConsistent(cost: 1, capacity: policy.capacity) { tally.inconsistent += 1 }
                    if answer.isAllowed {
                        tally.admitted[key] += 1
                        tally.firstReading[key] = min(tally.firstReading[key], reading)
                        tally.lastReading[key] = max(tally.lastReading[key], reading)
                    }
                }
            }
        }
        let tallies = results.all
        var excess = 0
        var worst = (key: -1, admitted: 0, bound: 0)
        for key in 0..<keys {
            let admitted = tallies.reduce(0) { $0 + $1.admitted[key] }
            guard admitted > 0 else { continue }
            let first = tallies.map { $0.firstReading[key] }.min()!
            let last = tallies.map { $0.lastReading[key] }.max()!
            let bound = self.earnable(policy, over: last - first)
            if admitted > bound {
                excess += admitted - bound
                if admitted - bound > worst.admitted - worst.bound { worst = (key, admitted, bound) }
            }
        }
        let evictions = limiter.statistics.evictedBuckets
        outcome.staleRoundEvictions += evictions
        outcome.count(tallies.reduce(0) { $0 + $1.decisions }, on: "scripted-stale")
        outcome.inconsistentDecisions += tallies.reduce(0) { $0 + $1.inconsistent }
        // Each eviction may forgive one window of debt: a capacity (here a whole number of steps
        // too) of slack each.
        outcome.record(
            admitted: excess,
            lowerBound: 0,
            upperBound: evictions * policy.capacity,
            "\(mode) stale readings across drops, \(threads) threads (tokens beyond the per-key bounds; worst key \(worst.key): \(worst.admitted) > \(worst.bound); \(evictions) evictions)"
        )
    }

    /// The most a bucket of `policy` earns after its first admission over `span` ns of readings.
    static func earnable(_ policy: BucketPolicy, over span: Int64) -> Int {
        let interval = policy.interval.totalNanoseconds
        let refill = Int128(policy.refill)
        let span = Int128(max(0, span))
        let earned = policy.mode == .smooth ? refill * span / interval : refill * ((span + interval - 1) / interval)
        return policy.capacity + Int(earned)
    }

    /// A hot key on the real clock (300 ms per round) under saturating demand, within bounds that hold
    /// whatever the scheduler does (see `SaturationRun`).
    static func realClock(
        _ engine: RateLimitEngine,
        threads: Int,
        mode: RefillMode,
        _ size: RoundSize,
        _ outcome: inout Outcome
    ) {
        let policy = try! BucketPolicy(capacity: 200, refill: 100, every: .milliseconds(100), mode: mode)
        let clock = MonotonicClock()
        let limiter = self.make(engine, policy, maxKeys: 1024, clock: clock)
        let start = clock.monotonicNanoseconds()
        let logs = SaturationRun.run(
            limiter, key: 0, threads: threads, clock: clock, start: start, until: start + size.realClockNanoseconds)
        let bounds = SaturationRun.bounds(policy, logs, start: start, end: clock.monotonicNanoseconds())
        outcome.count(logs.reduce(0) { $0 + $1.decisions }, on: "real")
        outcome.inconsistentDecisions += logs.reduce(0) { $0 + $1.inconsistent }
        outcome.record(
            admitted: bounds.admitted, lowerBound: bounds.lower, upperBound: bounds.upper,
            "\(mode) real clock, \(threads) threads (\(bounds))")
    }

    /// Requests random costs until a cost-1 request is denied; returns the admitted cost, the
    /// number of decisions and the number of inconsistent ones.
    static func exhaust(_ limiter: any BoundedRateLimiter<Int>, key: Int, threads: Int, capacity: Int) -> (
        Int, Int, Int
    ) {
        let results = PerThreadResults(count: threads, initial: (admitted: 0, decisions: 0, inconsistent: 0))
        RealThreads.run(threads) { thread in
            var random = SplitMix64(seed: UInt64(thread) &* 7919)
            results.update(thread) { tally in
                while true {
                    let cost = Int(random.next() % 9) + 1
                    let decision = limiter.acquire(key, cost: cost)
                    tally.decisions += 1
                    if !decision.isConsistent(cost: cost, capacity: capacity) { tally.inconsistent += 1 }
                    if decision.isAllowed {
                        tally.admitted += cost
                    } else if cost == 1 {
                        break
                    }
                }
            }
        }
        let all = results.all
        return (
            all.reduce(0) { $0 + $1.admitted }, all.reduce(0) { $0 + $1.decisions },
            all.reduce(0) { $0 + $1.inconsistent }
        )
    }
}

/// What one thread of a scripted-stale round saw, per key.
struct StaleTally: Sendable {
    var decisions = 0
    var inconsistent = 0
    var admitted: [Int]
    /// The earliest and the latest reading of an admission on the key.
    var firstReading: [Int64]
    var lastReading: [Int64]

    init(keys: Int) {
        self.admitted = Array(repeating: 0, count: keys)
        self.firstReading = Array(repeating: .max, count: keys)
        self.lastReading = Array(repeating: .min, count: keys)
    }
}
