import RateLimit

// Real threads racing on a frozen clock. With the clock frozen, the exact number of tokens a
// bucket can give is known, so any over- or under-admission under contention is a failure.

/// What one thread saw.
struct ThreadTally: Sendable {
    var admitted = 0
    var perKey: [Int] = []
    /// Every decision, with its key, for the linearizability check.
    var decisions: [(key: Int, decision: RateLimitDecision)] = []
    var violations = 0
    var firstViolation: String?

    mutating func check(_ decision: RateLimitDecision, cost: Int, capacity: Int) {
        if !decision.isConsistent(cost: cost, capacity: capacity) {
            self.violations += 1
            if self.firstViolation == nil {
                self.firstViolation = "cost \(cost) got \(decision)"
            }
        }
    }
}

extension RateLimiterConformance {
    func contentionHotKey(threads: Int, _ context: ScenarioContext<Key>) throws(ConformanceFailure) {
        for mode in [RefillMode.smooth, .stepped] {
            let policy = try context.policy(2000, 500, every: .seconds(1), mode)
            let clock = ManualClock()
            let limiter = try context.limiter(policy, clock: clock)
            let key = context.key(0)
            // (clock advance before the round, tokens the round must admit exactly)
            let rounds: [(Int64, Int)] = [
                (0, 2000),
                (3 * nanosecondsPerSecond, 1500),
                (nanosecondsPerSecond / 2, mode == .smooth ? 250 : 0),
                (nanosecondsPerSecond / 2, mode == .smooth ? 250 : 500),
            ]
            var model = ReferenceBucket(policy: policy)
            for (round, (advance, expected)) in rounds.enumerated() {
                try context.advance(clock, advance)
                let attempts = 2 * max(expected, 100) / threads + 16
                let results = PerThreadResults(count: threads, initial: ThreadTally())
                RealThreads.run(threads) { thread in
                    results.update(thread) { tally in
                        tally.decisions.reserveCapacity(attempts)
                        for _ in 0..<attempts {
                            let decision = limiter.acquire(key)
                            tally.check(decision, cost: 1, capacity: policy.capacity)
                            tally.decisions.append((0, decision))
                            if decision.isAllowed { tally.admitted += 1 }
                        }
                    }
                }
                try self.expectConsistent(results.all, "\(mode) round \(round)", context)
                let admitted = results.all.reduce(0) { $0 + $1.admitted }
                try context.expect(
                    admitted == expected,
                    "\(mode) round \(round): \(threads) threads × \(attempts) requests admitted \(admitted) on a frozen clock; exactly \(expected) expected"
                )
                try self.expectLinearizable(
                    results.all.flatMap { $0.decisions.map(\.decision) },
                    model: &model,
                    at: clock.monotonicNanoseconds(),
                    "\(mode) round \(round)",
                    context
                )
            }
        }
    }

    /// On a frozen clock, cost-1 decisions on one key are linearizable when they are those of the
    /// serial order "every admission, then every denial": the admitted ones report `remaining`
    /// values `n − 1 … 0` exactly once each, each equal field by field to the reference bucket's
    /// decision at that point, and every denial equals the reference's decision once the bucket is
    /// empty — a bucket that denies stays empty while the clock stands still.
    func expectLinearizable(
        _ decisions: [RateLimitDecision],
        model: inout ReferenceBucket,
        at now: Int64,
        _ label: String,
        _ context: ScenarioContext<Key>
    ) throws(ConformanceFailure) {
        let admitted = decisions.filter(\.isAllowed).sorted { $0.remaining > $1.remaining }
        for (index, decision) in admitted.enumerated() {
            let serial = model.acquire(cost: 1, at: now)
            try context.expect(
                decision == serial,
                "\(label): admission \(index + 1) of \(admitted.count) in serial order is \(decision); the reference bucket gives \(serial) (every remaining value must appear exactly once)"
            )
        }
        var empty = model
        let denial = empty.acquire(cost: 1, at: now)
        try context.expect(
            !denial.isAllowed, "\(label): the reference bucket still admits after \(admitted.count) admissions")
        if let wrong = decisions.first(where: { !$0.isAllowed && $0 != denial }) {
            throw context.failure(
                "\(label): a denial reports \(wrong); once the bucket is empty every denial must be \(denial)")
        }
    }

    func contentionManyKeys(threads: Int, _ context: ScenarioContext<Key>) throws(ConformanceFailure) {
        let keyCount = 24
        for mode in [RefillMode.smooth, .stepped] {
            let policy = try context.policy(100, 10, every: .seconds(1), mode)
            let clock = ManualClock()
            let limiter = try context.limiter(policy, clock: clock)
            let keys = (0..<keyCount).map(context.key)
            var models = Array(repeating: ReferenceBucket(policy: policy), count: keyCount)
            let rounds: [(Int64, Int)] = [(0, 100), (2 * nanosecondsPerSecond, 20)]
            for (round, (advance, expected)) in rounds.enumerated() {
                try context.advance(clock, advance)
                let attempts = 2 * expected * keyCount / threads + keyCount
                let results = PerThreadResults(
                    count: threads, initial: ThreadTally(perKey: Array(repeating: 0, count: keyCount)))
                RealThreads.run(threads) { thread in
                    results.update(thread) { tally in
                        for attempt in 0..<attempts {
                            // Threads walk the keys from different offsets, so every key is contended.
                            let key = (attempt &+ thread &* 7) % keyCount
                            let decision = limiter.acquire(keys[key])
                            tally.check(decision, cost: 1, capacity: policy.capacity)
                            tally.decisions.append((key, decision))
                            if decision.isAllowed { tally.perKey[key] += 1 }
                        }
                    }
                }
                try self.expectConsistent(results.all, "\(mode) round \(round)", context)
                var perKey = Array(repeating: [RateLimitDecision](), count: keyCount)
                for tally in results.all {
                    for (key, decision) in tally.decisions { perKey[key].append(decision) }
                }
                for key in 0..<keyCount {
                    let admitted = results.all.reduce(0) { $0 + $1.perKey[key] }
                    try context.expect(
                        admitted == expected,
                        "\(mode) round \(round): key \(key) admitted \(admitted); exactly \(expected) expected")
                    try self.expectLinearizable(
                        perKey[key], model: &models[key], at: clock.monotonicNanoseconds(),
                        "\(mode) round \(round), key \(key)", context)
                }
            }
        }
    }

    func contentionRandomCosts(threads: Int, _ context: ScenarioContext<Key>) throws(ConformanceFailure) {
        for mode in [RefillMode.smooth, .stepped] {
            let policy = try context.policy(3000, 300, every: .seconds(1), mode)
            let clock = ManualClock()
            let limiter = try context.limiter(policy, clock: clock)
            let key = context.key(0)
            let rounds: [(Int64, Int)] = [(0, 3000), (nanosecondsPerSecond, 300)]
            for (round, (advance, expected)) in rounds.enumerated() {
                try context.advance(clock, advance)
                let results = PerThreadResults(count: threads, initial: ThreadTally())
                RealThreads.run(threads) { thread in
                    var random = SplitMix64(seed: UInt64(thread * 1000 + round))
                    results.update(thread) { tally in
                        // Random costs until a cost-1 request is denied: on a frozen clock the
                        // bucket is then empty for good, so admitted costs must sum to exactly
                        // what the bucket held.
                        while true {
                            let cost = Int(random.next() % 7) + 1
                            let decision = limiter.acquire(key, cost: cost)
                            tally.check(decision, cost: cost, capacity: policy.capacity)
                            if decision.isAllowed {
                                tally.admitted += cost
                            } else if cost == 1 {
                                break
                            }
                        }
                    }
                }
                try self.expectConsistent(results.all, "\(mode) round \(round)", context)
                let admitted = results.all.reduce(0) { $0 + $1.admitted }
                try context.expect(
                    admitted == expected,
                    "\(mode) round \(round): admitted costs sum to \(admitted); exactly \(expected) expected")
                try context.expect(
                    limiter.acquire(key, cost: 0).remaining == 0,
                    "\(mode) round \(round): the bucket is not empty after a denied cost-1 request")
            }
        }
    }

    func expectConsistent(_ tallies: [ThreadTally], _ label: String, _ context: ScenarioContext<Key>)
        throws(ConformanceFailure)
    {
        let violations = tallies.reduce(0) { $0 + $1.violations }
        let first = tallies.compactMap(\.firstViolation).first ?? ""
        try context.expect(
            violations == 0,
            "\(label): \(violations) inconsistent decisions (remaining outside 0...capacity, or contradicting the verdict), first: \(first)"
        )
    }

    /// Real threads saturate one key on the real clock; the admitted total must lie within bounds
    /// that hold whatever the scheduler does (derived in `SaturationRun`).
    func realClockSaturation(threads: Int, _ context: ScenarioContext<Key>) throws(ConformanceFailure) {
        for mode in [RefillMode.smooth, .stepped] {
            // 1,000 tokens per second; the capacity exceeds one step, so a stepped bucket drained at
            // each step never fills.
            let policy = try context.policy(200, 100, every: .milliseconds(100), mode)
            let clock = MonotonicClock()
            let limiter = try context.limiter(policy, clock: clock)
            let duration = self.realClockDuration.saturatingNanoseconds
            let start = clock.monotonicNanoseconds()
            let logs = SaturationRun.run(
                limiter, key: context.key(0), threads: threads, clock: clock, start: start, until: start + duration)
            let end = clock.monotonicNanoseconds()
            let inconsistent = logs.reduce(0) { $0 + $1.inconsistent }
            try context.expect(
                inconsistent == 0,
                "\(mode): \(inconsistent) inconsistent decisions (remaining outside 0...capacity, or contradicting the verdict), first: \(logs.compactMap(\.firstInconsistency).first ?? "")"
            )
            let bounds = SaturationRun.bounds(policy, logs, start: start, end: end)
            try context.expect(
                bounds.admitted <= bounds.upper, "\(mode): over-admission in \(end - start) ns: \(bounds)")
            try context.expect(
                bounds.admitted >= bounds.lower, "\(mode): under-admission in \(end - start) ns: \(bounds)")
        }
    }
}
