import RateLimit

// Stale clock readings meeting table maintenance. A thread may read the clock, be preempted, and
// decide after another thread has dropped, evicted, rebased or moved buckets using a later
// reading. With a `ScriptedClock` that hands out such readings on purpose, these scenarios check
// that no bucket's time moves backwards across that maintenance: every key admits at most what a
// bucket can earn over the span of readings the engine was given.
//
// The bound each scenario checks, for one key whose admissions used readings in `[a, b]`
// (span `L = b − a`):
// - smooth: `capacity + ⌊refill · L / interval⌋`. A bucket's theoretical arrival time `TAT` only
//   moves forwards — across a drop too, since an absent key is a bucket full at the drop floor,
//   which is at least the dropped bucket's `TAT` — and each admitted token moves it by one token's
//   time `T`. The first admission leaves it at least at `a + T`; every admission leaves it at most
//   a window (`capacity · T`) past its own reading, so at most `b + capacity · T` at the end.
// - stepped: `capacity + refill · ⌈L / interval⌉`: steps fall at least one interval apart, a
//   phase restarts only from a full bucket, so at most `⌈L / interval⌉` steps add tokens.
// - plus, for each bucket of that key evicted while it still owed tokens (the documented, counted
//   exception), what the eviction forgave: at most the tokens it owed at the eviction's reading,
//   and never more than one window — `capacity` tokens, stepped: rounded up to whole steps — even
//   when the evicting caller's own reading is stale.
// The bound is per key: readings other keys used may move the floor, which only makes this key
// stricter. One exception: an engine decides a reading older than its epoch as the epoch itself —
// a reading another caller already used — so across a rebase `b` is the latest reading the engine
// was given, whatever the key.

private let ms = nanosecondsPerMillisecond
private let s = nanosecondsPerSecond

/// The readings handed to one engine and the tokens each key was given.
private struct StaleLedger<Key: Hashable & Sendable> {
    let policy: BucketPolicy
    let clock: ScriptedClock
    let limiter: any BoundedRateLimiter<Key>
    let context: ScenarioContext<Key>
    let label: String
    private var firstReading: [Int: Int64] = [:]
    private var lastReading: [Int: Int64] = [:]
    /// Set across a rebase: bounds then end at the latest reading the engine was given.
    var spansEngineReadings = false
    private var latest = Int64.min
    private(set) var admitted: [Int: Int] = [:]
    private var forgiven: [Int: Int] = [:]

    init(
        policy: BucketPolicy, clock: ScriptedClock, limiter: any BoundedRateLimiter<Key>, context: ScenarioContext<Key>,
        label: String
    ) {
        self.policy = policy
        self.clock = clock
        self.limiter = limiter
        self.context = context
        self.label = label
    }

    mutating func set(_ reading: Int64) {
        self.clock.set(nanoseconds: reading)
        self.latest = max(self.latest, reading)
    }

    /// One request at the clock's current reading.
    mutating func take(_ key: Int, cost: Int = 1) -> RateLimitDecision {
        let reading = self.clock.monotonicNanoseconds()
        let decision = self.limiter.acquire(self.context.key(key), cost: cost)
        if decision.isAllowed && cost > 0 {
            self.admitted[key, default: 0] += cost
            self.firstReading[key] = min(self.firstReading[key] ?? .max, reading)
            self.lastReading[key] = max(self.lastReading[key] ?? .min, reading)
        }
        return decision
    }

    /// Cost-1 requests until one is denied; returns how many were admitted.
    @discardableResult
    mutating func drain(_ key: Int, _ what: String) throws(ConformanceFailure) -> Int {
        // On a clock that does not move a bucket gives at most its capacity: more requests than
        // that without a denial is itself a failure, not a reason to loop forever.
        for admitted in 0...self.policy.capacity {
            if !self.take(key).isAllowed { return admitted }
        }
        throw self.context.failure("\(self.label): \(what): more than the capacity admitted at one reading")
    }

    /// Records that `key`'s bucket may have been evicted at `reading` while it owed what `model`
    /// says it owed then: the bound grows by that debt.
    mutating func mayHaveEvicted(_ key: Int, model: ReferenceBucket, at reading: Int64) {
        let remaining = model.peek(at: reading)
        self.forgiven[key, default: 0] += self.policy.capacity - remaining
    }

    /// Records that `key`'s bucket may have been evicted by a caller whose reading is stale: the
    /// bound grows by one window, the most an eviction may forgive.
    mutating func mayHaveEvictedWithStaleReading(_ key: Int) {
        let refill = self.policy.refill
        let window =
            self.policy.mode == .stepped ? (self.policy.capacity + refill - 1) / refill * refill : self.policy.capacity
        self.forgiven[key, default: 0] += window
    }

    func bound(for key: Int) -> Int {
        guard let first = self.firstReading[key], let last = self.lastReading[key] else { return 0 }
        let span = Int128((self.spansEngineReadings ? self.latest : last) - first)
        let interval = self.policy.interval.totalNanoseconds
        let refill = Int128(self.policy.refill)
        let earned =
            self.policy.mode == .stepped ? refill * ((span + interval - 1) / interval) : refill * span / interval
        return self.policy.capacity + Int(earned) + self.forgiven[key, default: 0]
    }

    /// Checks every key against its bound.
    func expectBounds() throws(ConformanceFailure) {
        for key in self.admitted.keys.sorted() {
            let admitted = self.admitted[key, default: 0]
            let bound = self.bound(for: key)
            try self.context.expect(
                admitted <= bound,
                "\(self.label): key \(key) admitted \(admitted) tokens with every admission's reading in \(self.firstReading[key]!)...\(self.lastReading[key]!) ns; at most \(bound) possible (\(self.limiter.statistics))"
            )
        }
    }
}

extension ReferenceBucket {
    /// Tokens the bucket holds at `now`, without changing it.
    fileprivate func peek(at now: Int64) -> Int {
        var copy = self
        return copy.acquire(cost: 0, at: now).remaining
    }
}

extension RateLimiterConformance {
    private func staleLedger(
        _ policy: BucketPolicy,
        maxKeys: Int,
        start: Int64,
        _ label: String,
        _ context: ScenarioContext<Key>
    ) throws(ConformanceFailure) -> StaleLedger<Key> {
        let clock = ScriptedClock(nanoseconds: start)
        let limiter = try context.bounded(try context.limiter(policy, maxKeys: maxKeys, clock: clock))
        var ledger = StaleLedger(policy: policy, clock: clock, limiter: limiter, context: context, label: label)
        ledger.set(start)
        return ledger
    }

    /// The report's scenario: a bucket drained at 10 s is full at 15 s and dropped to make room
    /// with a 15 s reading; a thread whose reading is 12.5 s then finds the key absent. Recreating
    /// the bucket as full at 12.5 s would move its time back 2.5 s and admit 25 tokens to a key
    /// whose every reading lies in 10…15 s; the bound is 20 in both modes.
    ///
    /// A flood of `32 × maxKeys` new keys at 15 s fills every partition of a partitioned engine
    /// and drops every full bucket, wherever the key lives. A partitioned engine must give a
    /// partition room for two keys (keys 0 and 1 may share one): with one, key 1's bucket would
    /// evict key 0's at 10 s, an eviction the bound does not allow for.
    func staleReadingAfterDrop(_ context: ScenarioContext<Key>) throws(ConformanceFailure) {
        for mode in [RefillMode.smooth, .stepped] {
            let policy = try context.policy(10, 2, every: .seconds(1), mode)
            let maxKeys = 16
            var ledger = try self.staleLedger(policy, maxKeys: maxKeys, start: 10 * s, "\(mode)", context)
            try ledger.drain(0, "drain at 10 s")
            _ = ledger.take(1)
            ledger.set(15 * s)
            for flood in 0..<(32 * maxKeys) {
                _ = ledger.take(1000 + flood)
            }
            ledger.set(12_500 * ms)
            try ledger.drain(0, "stale 12.5 s")
            try ledger.drain(1, "stale 12.5 s")
            ledger.set(15 * s)
            try ledger.drain(0, "15 s")
            try ledger.drain(1, "15 s")
            try ledger.expectBounds()
        }
    }

    /// A bucket that still owes tokens is evicted with an 11 s reading; a thread whose reading is
    /// 10.5 s then finds the key absent. The eviction forgives what the bucket owed at 11 s
    /// (8 tokens) and nothing more: recreating it as full at 10.5 s would forgive another token.
    func staleReadingAfterEviction(_ context: ScenarioContext<Key>) throws(ConformanceFailure) {
        for mode in [RefillMode.smooth, .stepped] {
            let policy = try context.policy(10, 2, every: .seconds(1), mode)
            let maxKeys = 16
            var ledger = try self.staleLedger(policy, maxKeys: maxKeys, start: 10 * s, "\(mode)", context)
            var model = ReferenceBucket(policy: policy)
            try ledger.drain(0, "drain at 10 s")
            for _ in 0..<policy.capacity { _ = model.acquire(cost: 1, at: 10 * s) }
            ledger.set(11 * s)
            // Drained flood buckets owe more than key 0 (8 tokens at 11 s): it is the one evicted.
            for flood in 0..<(32 * maxKeys) {
                _ = ledger.take(1000 + flood, cost: policy.capacity)
            }
            ledger.mayHaveEvicted(0, model: model, at: 11 * s)
            ledger.set(10_500 * ms)
            try ledger.drain(0, "stale 10.5 s")
            ledger.set(15 * s)
            try ledger.drain(0, "15 s")
            try ledger.expectBounds()
        }
    }

    /// The evicting caller is the stale one. With a table of one key, a caller whose reading is
    /// 10.25 s inserts a new key and must evict key 0, which is drained twice — at 10.5 s and
    /// again at 14.5 s — so it is full only at 19.5 s. Were the floor raised only to the evicting
    /// reading, key 0 would come back full at 11 s, forgiving 18.5 tokens' worth of debt; an
    /// eviction forgives at most one window, so key 0 stays within its bound plus one capacity.
    func staleReadingEvicts(_ context: ScenarioContext<Key>) throws(ConformanceFailure) {
        for mode in [RefillMode.smooth, .stepped] {
            let policy = try context.policy(10, 2, every: .seconds(1), mode)
            var ledger = try self.staleLedger(policy, maxKeys: 1, start: 10 * s, "\(mode)", context)
            ledger.set(10_500 * ms)
            _ = ledger.take(0, cost: 6)
            ledger.set(14_500 * ms)
            try ledger.drain(0, "14.5 s")
            ledger.set(10_250 * ms)
            _ = ledger.take(1)
            ledger.mayHaveEvictedWithStaleReading(0)
            ledger.set(11 * s)
            try ledger.drain(0, "11 s")
            ledger.set(13_750 * ms)
            try ledger.drain(0, "13.75 s")
            try ledger.expectBounds()
        }
    }

    /// A policy so fine that the engine must move its epoch about once a second: the rebase at
    /// 1.2 s drops buckets full by then, and a thread with a 0.9 s reading, older than the new
    /// epoch, comes after it. A fresh key after the rebase must still get a whole bucket.
    func staleReadingAcrossRebase(_ context: ScenarioContext<Key>) throws(ConformanceFailure) {
        // Smooth: M = 2³² ticks per ns (refill 2³² and an odd interval), so the epoch must move
        // every 2³⁰ ns ≈ 1.07 s; capacity 2³¹ is half a second of refill.
        // Stepped: M = refill = 2³², three steps of 100 ms.
        let policies = [
            try context.policy(1 << 31, 1 << 32, every: .nanoseconds(1_000_000_001), .smooth),
            try context.policy(3 << 32, 1 << 32, every: .milliseconds(100), .stepped),
        ]
        for policy in policies {
            let mode = policy.mode
            var ledger = try self.staleLedger(policy, maxKeys: 64, start: 0, "\(mode)", context)
            ledger.spansEngineReadings = true
            ledger.set(600 * ms)
            try context.expect(
                ledger.take(0, cost: policy.capacity).isAllowed,
                "\(mode): key 0 denied its first, whole-bucket request at 0.6 s")
            _ = ledger.take(1)
            ledger.set(1200 * ms)
            let fresh = ledger.take(2, cost: policy.capacity)
            try context.expect(
                fresh.isAllowed && fresh.remaining == 0,
                "\(mode): a new key at 1.2 s, past the epoch's range, must get a whole bucket; got \(fresh)"
            )
            ledger.set(900 * ms)
            try self.drainLarge(&ledger, 0, context)
            try self.drainLarge(&ledger, 1, context)
            ledger.set(1200 * ms)
            try self.drainLarge(&ledger, 0, context)
            try self.drainLarge(&ledger, 1, context)
            try ledger.expectBounds()
        }
    }

    /// Takes everything a bucket with a huge capacity holds, in whole-bucket-sized requests.
    private func drainLarge(_ ledger: inout StaleLedger<Key>, _ key: Int, _ context: ScenarioContext<Key>)
        throws(ConformanceFailure)
    {
        for _ in 0..<4 {
            let available = ledger.take(key, cost: 0).remaining
            if available == 0 { return }
            let decision = ledger.take(key, cost: available)
            try context.expect(
                decision.isAllowed,
                "\(ledger.label): key \(key) reported \(available) tokens, then denied them: \(decision)")
        }
        try context.expect(
            ledger.take(key, cost: 0).remaining == 0,
            "\(ledger.label): key \(key) still reports tokens after four whole takes")
    }

    /// Hundreds of new keys at 15 s make the engine's table or index grow several times while a
    /// bucket drained at 10 s is tracked; a thread with a 12.5 s reading comes after the growth.
    /// Nothing is dropped, so the answer is exact: 5 tokens at 12.5 s (the bucket is full at
    /// 15 s) and 5 more at 15 s.
    func staleReadingAcrossGrowth(_ context: ScenarioContext<Key>) throws(ConformanceFailure) {
        for mode in [RefillMode.smooth, .stepped] {
            let policy = try context.policy(10, 2, every: .seconds(1), mode)
            var ledger = try self.staleLedger(policy, maxKeys: 4096, start: 10 * s, "\(mode)", context)
            try ledger.drain(0, "drain at 10 s")
            ledger.set(15 * s)
            for key in 1...300 {
                _ = ledger.take(key)
            }
            ledger.set(12_500 * ms)
            // Stepped at 12.5 s: 3 steps (13, 14, 15 s) of 2 tokens still missing: 4 tokens, not 5.
            let stale = try ledger.drain(0, "stale 12.5 s")
            ledger.set(15 * s)
            let late = try ledger.drain(0, "15 s")
            try ledger.expectBounds()
            let statistics = ledger.limiter.statistics
            if statistics.expiredBuckets + statistics.evictedBuckets == 0 {
                let expected = mode == .smooth ? (5, 5) : (4, 6)
                try context.expect(
                    stale == expected.0 && late == expected.1,
                    "\(mode): with nothing dropped, key 0 must give \(expected.0) tokens at 12.5 s and \(expected.1) at 15 s; got \(stale) and \(late)"
                )
            }
        }
    }
}
