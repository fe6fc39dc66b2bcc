import RateLimit
import RateLimitTesting
import Synchronization

/// Long-running correctness under contention: rounds on a frozen clock, where the exact number of
/// tokens is known, and rounds on the real clock, where admissions must stay within the refill
/// bounds. Counts every token admitted beyond the bound (over-admission) or short of it
/// (under-admission).
package enum StressRunner {
    /// What one engine did over the whole run.
    package struct Outcome: Sendable, CustomStringConvertible {
        package var engine: BenchmarkEngine
        package var rounds = 0
        package var decisions = 0
        /// Tokens admitted beyond what the bucket held (frozen clock) or could have earned (real clock).
        package var overAdmitted = 0
        /// Tokens not admitted although the bucket held them (frozen clock) or demand was saturating (real clock).
        package var underAdmitted = 0
        /// Decisions whose fields contradict each other (remaining out of range, and so on).
        package var inconsistentDecisions = 0
        /// The first few violations, described.
        package var firstViolations: [String] = []

        package var isClean: Bool {
            self.overAdmitted == 0 && self.underAdmitted == 0 && self.inconsistentDecisions == 0
        }

        package var description: String {
            "\(self.engine): \(self.rounds) rounds, \(self.decisions) decisions, over-admitted \(self.overAdmitted), under-admitted \(self.underAdmitted), inconsistent \(self.inconsistentDecisions)"
        }

        mutating func record(admitted: Int, lowerBound: Int, upperBound: Int, _ label: String) {
            if admitted > upperBound { self.overAdmitted += admitted - upperBound }
            if admitted < lowerBound { self.underAdmitted += lowerBound - admitted }
            if (admitted > upperBound || admitted < lowerBound) && self.firstViolations.count < 5 {
                self.firstViolations.append("\(label): admitted \(admitted), bounds \(lowerBound)...\(upperBound)")
            }
        }
    }

    /// Runs rounds on `engine`, cycling through `threads`, until `duration` has passed.
    package static func run(engine: BenchmarkEngine, threads: [Int], duration: Duration, progress: (String) -> Void) -> Outcome {
        var outcome = Outcome(engine: engine)
        let clock = MonotonicClock()
        let (seconds, attoseconds) = duration.components
        let deadline = clock.monotonicNanoseconds() + seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        var round = 0
        while clock.monotonicNanoseconds() < deadline {
            let threadCount = threads[round % threads.count]
            let mode: RefillMode = (round / threads.count) % 2 == 0 ? .smooth : .stepped
            switch (round / (2 * threads.count)) % 3 {
            case 0: self.frozenHotKey(engine, threads: threadCount, mode: mode, &outcome)
            case 1: self.frozenEviction(engine, threads: threadCount, mode: mode, &outcome)
            default: self.realClock(engine, threads: threadCount, mode: mode, &outcome)
            }
            round += 1
            outcome.rounds = round
            if round % 12 == 0 { progress("stress \(engine): \(outcome)") }
        }
        return outcome
    }

    static func make(_ engine: BenchmarkEngine, _ policy: BucketPolicy, maxKeys: Int, clock: some RateLimitClock) -> any BoundedRateLimiter<Int> {
        do {
            switch engine {
            case .atomic: return try AtomicRateLimiter<Int>(policy: policy, maxKeys: maxKeys, clock: clock)
            case .sharded: return try ShardedRateLimiter<Int>(policy: policy, maxKeys: maxKeys, clock: clock)
            default: return try MutexRateLimiter<Int>(policy: policy, maxKeys: maxKeys, clock: clock)
            }
        } catch {
            preconditionFailure("stress policies are valid: \(error)")
        }
    }

    /// A hot key with random costs on a frozen clock: admitted costs must sum to exactly the
    /// capacity, then to exactly the refill of the interval the clock is moved by.
    static func frozenHotKey(_ engine: BenchmarkEngine, threads: Int, mode: RefillMode, _ outcome: inout Outcome) {
        let policy = try! BucketPolicy(capacity: 5000, refill: 500, every: .seconds(1), mode: mode)
        let clock = ManualClock()
        let limiter = self.make(engine, policy, maxKeys: 1024, clock: clock)
        for (advance, expected) in [(Int64(0), 5000), (2_000_000_000, 1000)] {
            try! clock.advance(nanoseconds: advance)
            let (admitted, decisions, inconsistent) = self.exhaust(limiter, key: 0, threads: threads, capacity: policy.capacity)
            outcome.decisions += decisions
            outcome.inconsistentDecisions += inconsistent
            outcome.record(admitted: admitted, lowerBound: expected, upperBound: expected, "\(mode) hot key, \(threads) threads")
        }
    }

    /// Keys far beyond `maxKeys` on a frozen clock: evictions forget debts, but no bucket
    /// incarnation may give more than its capacity — admitted ≤ capacity × insertions.
    static func frozenEviction(_ engine: BenchmarkEngine, threads: Int, mode: RefillMode, _ outcome: inout Outcome) {
        let policy = try! BucketPolicy(capacity: 20, refill: 1, every: .seconds(1), mode: mode)
        let limiter = self.make(engine, policy, maxKeys: 64, clock: ManualClock())
        let results = PerThreadResults(count: threads, initial: 0)
        RealThreads.run(threads) { thread in
            var random = SplitMix64Generator(seed: UInt64(thread) &+ 99)
            results.update(thread) { admitted in
                for _ in 0..<4000 {
                    if limiter.acquire(Int(random.next() % 256), cost: 1).isAllowed { admitted += 1 }
                }
            }
        }
        let statistics = limiter.statistics
        let insertions = statistics.trackedKeys + statistics.evictedBuckets + statistics.expiredBuckets
        outcome.decisions += threads * 4000
        outcome.record(admitted: results.all.reduce(0, +), lowerBound: 0, upperBound: policy.capacity * insertions, "\(mode) eviction pressure, \(threads) threads")
    }

    /// A hot key on the real clock for 300 ms under saturating demand, within bounds that hold
    /// whatever the scheduler does (see `SaturationRun`).
    static func realClock(_ engine: BenchmarkEngine, threads: Int, mode: RefillMode, _ outcome: inout Outcome) {
        let policy = try! BucketPolicy(capacity: 200, refill: 100, every: .milliseconds(100), mode: mode)
        let clock = MonotonicClock()
        let limiter = self.make(engine, policy, maxKeys: 1024, clock: clock)
        let start = clock.monotonicNanoseconds()
        let logs = SaturationRun.run(limiter, key: 0, threads: threads, clock: clock, start: start, until: start + 300_000_000)
        let bounds = SaturationRun.bounds(policy, logs, start: start, end: clock.monotonicNanoseconds())
        outcome.decisions += logs.reduce(0) { $0 + $1.decisions }
        outcome.inconsistentDecisions += logs.reduce(0) { $0 + $1.inconsistent }
        outcome.record(admitted: bounds.admitted, lowerBound: bounds.lower, upperBound: bounds.upper, "\(mode) real clock, \(threads) threads (\(bounds))")
    }

    /// Requests random costs until a cost-1 request is denied; returns the admitted cost, the
    /// number of decisions and the number of inconsistent ones.
    static func exhaust(_ limiter: any BoundedRateLimiter<Int>, key: Int, threads: Int, capacity: Int) -> (Int, Int, Int) {
        let results = PerThreadResults(count: threads, initial: (admitted: 0, decisions: 0, inconsistent: 0))
        RealThreads.run(threads) { thread in
            var random = SplitMix64Generator(seed: UInt64(thread) &* 7919)
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
        return (all.reduce(0) { $0 + $1.admitted }, all.reduce(0) { $0 + $1.decisions }, all.reduce(0) { $0 + $1.inconsistent })
    }
}
