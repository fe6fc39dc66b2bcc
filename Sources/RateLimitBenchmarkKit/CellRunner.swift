import CRateLimitShims
import Histogram
import RateLimit
import RateLimitTesting
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs cells. Workers are real threads started behind a barrier (``RealThreads/Group``); the
/// cell's clock starts when the last worker is ready and stops when the measuring thread raises
/// the stop flag.
package enum CellRunner {
    /// One in this many operations is timed, so that timing does not dominate what it measures.
    package static let latencySampleInterval = 128
    /// Workers poll the stop flag once per batch of this many operations.
    static let batch = 64
    /// Per-thread pre-generated key sequences are this long, and cycled.
    static let streamLength = 1 << 16

    /// Runs one repetition of `cell`.
    package static func measure(_ cell: CellConfiguration) -> RepetitionMeasurement {
        // Concrete key and clock types all the way down, so that the compiler specialises each
        // engine's generic code: an existential here would leave `acquire` generic and slow.
        let keys = cell.settings.keys
        let traceKeys = cell.settings.trace?.trace.keys ?? []
        return switch (cell.workload, cell.settings.clock) {
        case (.trace, .precise): self.measure(cell, clock: MonotonicClock(), keys: traceKeys)
        case (.trace, .coarse): self.measure(cell, clock: CoarseMonotonicClock(), keys: traceKeys)
        case (.uniformIP, .precise): self.measure(cell, clock: MonotonicClock(), keys: self.addresses(keys))
        case (.uniformIP, .coarse): self.measure(cell, clock: CoarseMonotonicClock(), keys: self.addresses(keys))
        case (_, .precise): self.measure(cell, clock: MonotonicClock(), keys: Array(0..<keys))
        case (_, .coarse): self.measure(cell, clock: CoarseMonotonicClock(), keys: Array(0..<keys))
        }
    }

    /// `count` distinct IPv4 addresses, as strings.
    static func addresses(_ count: Int) -> [String] {
        (0..<count).map(self.address)
    }

    /// The `index`-th of those addresses: `10.x.y.z`.
    static func address(_ index: Int) -> String {
        "10.\(index >> 16 & 255).\(index >> 8 & 255).\(index & 255)"
    }

    private static func measure<Key: Hashable & Sendable, Clock: RateLimitClock>(
        _ cell: CellConfiguration,
        clock: Clock,
        keys: [Key]
    ) -> RepetitionMeasurement {
        let churn = cell.workload == .churn
        let policy = churn ? Workload.churnPolicy() : Workload.neverDryPolicy()
        let maxKeys = churn ? Workload.churnMaxKeys : max(cell.settings.keys, RateLimiterDefaults.maxKeys)
        do {
            // An engine switch besides `RateLimitEngine.make`, kept on purpose: concrete types,
            // so that the compiler specialises each engine's `acquire` into the measured loop, where
            // `make`'s existential would add a witness-table call to every measured decision.
            switch cell.engine {
            case .engine(.mutex):
                let limiter = try MutexRateLimiter<Key>(policy: policy, maxKeys: maxKeys, clock: clock)
                return self.measure(cell, fastPaths: limiter, keys: keys)
            case .engine(.atomic):
                let limiter = try AtomicRateLimiter<Key>(policy: policy, maxKeys: maxKeys, clock: clock)
                return self.measure(cell, fastPaths: limiter, keys: keys)
            case .engine(.sharded):
                let limiter = try ShardedRateLimiter<Key>(policy: policy, maxKeys: maxKeys, clock: clock)
                return self.measure(cell, fastPaths: limiter, keys: keys)
            case .tutorial:
                return self.measure(cell, limiter: TutorialDesignLimiter<Key>(policy: policy), keys: keys)
            case .custom(let custom):
                // The public API runs the precise clock only, and the factories make Int- or
                // String-keyed limiters: the two key types the workloads use.
                let made: Any =
                    Key.self == String.self
                    ? IndirectRateLimiter(
                        base: try custom.engine.makeStringKeyedLimiter(
                            policy: policy, maxKeys: maxKeys, clock: MonotonicClock()))
                    : IndirectRateLimiter(
                        base: try custom.engine.makeLimiter(policy: policy, maxKeys: maxKeys, clock: MonotonicClock()))
                guard let limiter = made as? IndirectRateLimiter<Key> else {
                    preconditionFailure("custom engines measure Int and String keys, not \(Key.self)")
                }
                return self.measure(cell, limiter: limiter, keys: keys)
            case .floor:
                return self.measureFloor(cell, clock: clock)
            case .floorKeyed, .floorProbed:
                // `BenchmarkEngine.measures` keeps these rows to the workloads of `Int` keys.
                guard let keys = keys as? [Int] else {
                    preconditionFailure("\(cell.engine) measures Int keys, not \(Key.self)")
                }
                if cell.engine == .floorKeyed {
                    let limiter = KeyedFloorLimiter(policy: policy, keys: keys.count, clock: clock)
                    return self.measure(cell, limiter: limiter, keys: keys)
                }
                let limiter = ProbedFloorLimiter(policy: policy, keys: keys.count, clock: clock)
                return self.measure(cell, limiter: limiter, keys: keys)
            }
        } catch {
            // The harness's policies and bounds are valid by construction; a caller's engine
            // that refuses them cannot be measured.
            preconditionFailure("cannot create \(cell.engine): \(error)")
        }
    }

    /// Prepares the limiter for the workload (untimed), then measures it. Generic, so each engine's
    /// loop is specialised and its `acquire` inlined.
    static func measure<Limiter: RateLimiter>(
        _ cell: CellConfiguration,
        limiter: Limiter,
        keys: [Limiter.Key]
    ) -> RepetitionMeasurement {
        let capacity = limiter.policy.capacity
        let bounded =
            ((limiter as? IndirectRateLimiter<Limiter.Key>)?.base ?? limiter) as? any BoundedRateLimiter<Limiter.Key>
        let statisticsBefore = bounded?.statistics
        let work: @Sendable (Int, StopFlag, PerThreadResults<WorkerTally>) -> Void
        switch cell.workload {
        case .hotAllowAt, .hotAllowHandle:
            preconditionFailure("\(cell.workload) is measured by measure(_:fastPaths:keys:)")
        case .hotAllow, .hotDeny:
            let key = keys[0]
            _ = limiter.acquire(key, cost: cell.workload == .hotDeny ? capacity : 1)
            work = { thread, stop, results in
                results.update(thread) { tally in
                    self.loop(limiter, cell, thread, stop: stop, tally: &tally) { _ in key }
                }
            }
        case .uniformAllow, .zipfAllow, .uniformIP:
            // Track every key, and drain the share aimed at empty buckets: at least one key on
            // each side when the ratio is strictly between 0 and 1. Drained last, just before the
            // run: a drained bucket earns a token back after a second, so slow set-up work in
            // between (generating the streams, much slower under sanitizers) would turn denials
            // into admissions.
            let denyKeys = Self.denyKeyCount(keys: keys.count, ratio: cell.settings.denyRatio)
            let streams = self.keyStreams(cell, keys: keys, denyKeys: denyKeys)
            for (index, key) in keys.enumerated() {
                _ = limiter.acquire(key, cost: index < denyKeys ? capacity : 1)
            }
            work = { thread, stop, results in
                let stream = streams[thread]
                let mask = stream.count - 1
                results.update(thread) { tally in
                    stream.withUnsafeBufferPointer { stream in
                        self.loop(limiter, cell, thread, stop: stop, tally: &tally) { stream[$0 & mask] }
                    }
                }
            }
        case .trace:
            guard let replay = cell.settings.trace else { preconditionFailure("a trace cell needs a trace") }
            work = self.traceWork(cell, replay: replay, limiter: limiter, keys: keys)
        case .churn:
            guard let makeKey = self.churnKey(Limiter.Key.self) else {
                preconditionFailure("churn needs integer keys")
            }
            // Start at the bound, so that every request inserts into a full table.
            for index in 0..<Workload.churnMaxKeys {
                _ = limiter.acquire(makeKey(1 << 50 | index))
            }
            work = { thread, stop, results in
                let base = (thread + 1) << 40
                results.update(thread) { tally in
                    self.loop(limiter, cell, thread, stop: stop, tally: &tally) { makeKey(base | $0) }
                }
            }
        }
        return self.measure(cell, work: work, bounded: bounded, before: statisticsBefore)
    }

    /// Runs the cell's `work`, adding what the engine's statistics counted meanwhile.
    static func measure<Key>(
        _ cell: CellConfiguration,
        work: @escaping @Sendable (Int, StopFlag, PerThreadResults<WorkerTally>) -> Void,
        bounded: (any BoundedRateLimiter<Key>)?,
        before statisticsBefore: RateLimiterStatistics?
    ) -> RepetitionMeasurement {
        var measurement = self.run(cell, work: work)
        if let bounded, let before = statisticsBefore {
            let after = bounded.statistics
            measurement.evictions = after.evictedBuckets - before.evictedBuckets
            measurement.expirations = after.expiredBuckets - before.expiredBuckets
            if let retriesAfter = after.compareExchangeRetries, let retriesBefore = before.compareExchangeRetries {
                measurement.casRetries = retriesAfter - retriesBefore
            }
        }
        withExtendedLifetime(bounded) {}
        return measurement
    }

    /// The trace's requests, each thread replaying its share (``TraceReplay/share(of:threads:count:)``)
    /// round and round: closed loop, at an offered rate, or at the recorded offsets (offset plus
    /// one span per completed round). Nothing is tracked before the run: first requests insert,
    /// as they did when the traffic was recorded.
    private static func traceWork<Limiter: RateLimiter>(
        _ cell: CellConfiguration,
        replay: TraceReplay,
        limiter: Limiter,
        keys: [Limiter.Key]
    ) -> @Sendable (Int, StopFlag, PerThreadResults<WorkerTally>) -> Void {
        let requests = replay.trace.requests
        let shares = (0..<cell.threads).map { thread in
            TraceReplay.share(of: thread, threads: cell.threads, count: requests.count).map { requests[$0] }
        }
        let recorded = replay.timing == .recorded
        let span = Double(replay.trace.spanNanoseconds)
        return { thread, stop, results in
            let share = shares[thread]
            let count = share.count
            results.update(thread) { tally in
                share.withUnsafeBufferPointer { share in
                    keys.withUnsafeBufferPointer { keys in
                        let key = { (operation: Int) in keys[Int(share[operation % count].key)] }
                        let cost = { (operation: Int) in Int(share[operation % count].cost) }
                        if recorded {
                            let due = { (operation: Int) in
                                Double(share[operation % count].offsetNanoseconds) + Double(operation / count) * span
                            }
                            self.openLoop(due: due, stop: stop, tally: &tally) {
                                limiter.acquire(key($0), cost: cost($0))
                            }
                        } else {
                            self.loop(limiter, cell, thread, stop: stop, tally: &tally, key: key, cost: cost)
                        }
                    }
                }
            }
        }
    }

    private static func churnKey<Key>(_: Key.Type) -> (@Sendable (Int) -> Key)? {
        guard Key.self == Int.self else { return nil }
        return { (value: Int) -> Key in unsafeBitCast(value, to: Key.self) }
    }

    /// How many of `keys` are drained for a deny share of `ratio`.
    static func denyKeyCount(keys: Int, ratio: Double) -> Int {
        if ratio <= 0 { return 0 }
        if ratio >= 1 { return keys }
        return min(max(Int((Double(keys) * ratio).rounded()), 1), keys - 1)
    }

    /// Per-thread key sequences: uniform or Zipf ranks into `keys`; with a deny share, a request
    /// goes to one of the first `denyKeys` (drained) keys with that probability.
    static func keyStreams<Key>(_ cell: CellConfiguration, keys: [Key], denyKeys: Int) -> [[Key]] {
        let zipfian = cell.workload == .zipfAllow
        let zipf = zipfian ? ZipfDistribution(count: keys.count - denyKeys, exponent: 1.1) : nil
        let zipfDeny = zipfian && denyKeys > 0 ? ZipfDistribution(count: denyKeys, exponent: 1.1) : nil
        return (0..<cell.threads).map { thread in
            var random = SplitMix64(seed: UInt64(thread) &* 0x9E37_79B9 &+ 17)
            return (0..<self.streamLength).map { _ in
                let deny =
                    denyKeys == keys.count
                    || (denyKeys > 0 && Double.random(in: 0..<1, using: &random) < cell.settings.denyRatio)
                let offset = deny ? 0 : denyKeys
                let count = deny ? denyKeys : keys.count - denyKeys
                let rank: Int
                if let distribution = deny ? zipfDeny : zipf {
                    rank = distribution.sample(using: &random)
                } else {
                    rank = Int.random(in: 0..<count, using: &random)
                }
                return keys[offset + rank]
            }
        }
    }

    /// Thread `thread`'s measured loop on `limiter`'s `acquire`: closed or open
    /// (``CellConfiguration/offeredRate``).
    @inline(__always)
    static func loop<Limiter: RateLimiter>(
        _ limiter: Limiter,
        _ cell: CellConfiguration,
        _ thread: Int,
        stop: StopFlag,
        tally: inout WorkerTally,
        key: (Int) -> Limiter.Key,
        cost: (Int) -> Int = { _ in 1 }
    ) {
        self.loop(cell, thread, stop: stop, tally: &tally) { limiter.acquire(key($0), cost: cost($0)) }
    }

    /// Thread `thread`'s measured loop: closed or open (``CellConfiguration/offeredRate``), making
    /// decision `n` with `decide(n)`.
    @inline(__always)
    static func loop(
        _ cell: CellConfiguration,
        _ thread: Int,
        stop: StopFlag,
        tally: inout WorkerTally,
        decide: (Int) -> RateLimitDecision
    ) {
        if let rate = cell.offeredRate {
            // Each thread offers an equal share; their schedules are staggered evenly, so that
            // together they offer `rate` at even spacing rather than in bursts of `threads`.
            // An infinite rate (the timed maximum): every decision due at once, none waits.
            let interval = rate.isInfinite ? 0 : 1e9 * Double(cell.threads) / rate
            let phase = interval * Double(thread) / Double(cell.threads)
            let due = { (operation: Int) in phase + Double(operation) * interval }
            // An infinite rate's schedule has everything due at once: no backlog to count.
            self.openLoop(due: due, stop: stop, tally: &tally, countsBacklog: !rate.isInfinite, decide: decide)
        } else {
            self.closedLoop(stop: stop, tally: &tally, decide: decide)
        }
    }

    /// The closed loop: batches of decisions between polls of the stop flag, one decision in
    /// `latencySampleInterval` timed.
    @inline(__always)
    static func closedLoop(
        stop: StopFlag,
        tally: inout WorkerTally,
        decide: (Int) -> RateLimitDecision
    ) {
        let timer = MonotonicClock()
        var operation = 0
        var allowed = 0
        var untilSample = self.latencySampleInterval
        // At least one batch per thread, even one scheduled only after the stop: a cell always
        // measures something (its tests check verdicts, not speed).
        repeat {
            for _ in 0..<self.batch {
                let this = operation
                operation &+= 1
                untilSample &-= 1
                if untilSample == 0 {
                    untilSample = self.latencySampleInterval
                    let start = timer.monotonicNanoseconds()
                    let decision = decide(this)
                    let end = timer.monotonicNanoseconds()
                    _ = tally.latency.record(UInt64(max(0, end - start)))
                    allowed &+= decision.isAllowed ? 1 : 0
                } else {
                    allowed &+= decide(this).isAllowed ? 1 : 0
                }
            }
        } while !stop.isRaised
        tally.operations = operation
        tally.allowed = allowed
    }

    /// The open loop: decision `n` is due `due(n)` nanoseconds after the thread's start; the
    /// thread waits (spinning on the clock, which is precise to tens of nanoseconds where a sleep
    /// is not) until it is due, decides, and records the time from when it was *due* to when it
    /// finished. A thread that falls behind (preempted, or a slow decision) issues the overdue
    /// decisions back to back, and each one's wait counts in its latency: a stall shows in the
    /// tail instead of hiding as a pause in the offered load (coordinated omission). Every decision
    /// is timed. Decisions still due when the stop flag rises are not issued, except the first:
    /// like the closed loop, a thread scheduled only after the stop still measures something.
    @inline(__always)
    static func openLoop(
        due: (Int) -> Double,
        stop: StopFlag,
        tally: inout WorkerTally,
        countsBacklog: Bool = true,
        decide: (Int) -> RateLimitDecision
    ) {
        let timer = MonotonicClock()
        var now = timer.monotonicNanoseconds()
        let start = Double(now)
        var operation = 0
        var allowed = 0
        // One clock read per decision besides the engine's: the reading that ends a decision is
        // the "now" the next one is checked against, so a thread on or behind schedule does not
        // read the clock again before deciding.
        schedule: repeat {
            let dueAt = Int64(start + due(operation))
            while now < dueAt {
                if operation > 0 && stop.isRaised { break schedule }
                now = timer.monotonicNanoseconds()
            }
            allowed &+= decide(operation).isAllowed ? 1 : 0
            now = timer.monotonicNanoseconds()
            _ = tally.latency.record(UInt64(max(0, now - dueAt)))
            operation &+= 1
        } while !stop.isRaised
        tally.operations = operation
        tally.allowed = allowed
        if countsBacklog {
            tally.due = self.dueCount(by: Double(now) - start, from: operation, due: due)
        }
    }

    /// How many decisions were due by `elapsed` nanoseconds, given that the first `issued` were:
    /// an exponential, then binary search over the schedule (which never goes back in time), so a
    /// backlog of millions costs a few dozen evaluations.
    static func dueCount(by elapsed: Double, from issued: Int, due: (Int) -> Double) -> Int {
        var low = issued // Every decision before `low` was due (or issued).
        var step = 1
        while due(low + step - 1) <= elapsed {
            low += step
            step *= 2
        }
        var high = low + step - 1 // `due(high) > elapsed`: not due yet.
        while low < high {
            let middle = low + (high - low) / 2
            if due(middle) <= elapsed {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low
    }

    /// The floor: a clock read (one per 64 decisions on `hot-allow-at`) and an uncontended
    /// compare-and-swap on a word only this thread uses.
    private static func measureFloor(
        _ cell: CellConfiguration,
        clock: some RateLimitClock
    ) -> RepetitionMeasurement {
        // One word per thread, each on its own 128-byte line.
        let words = UnsafeMutableRawPointer.allocate(byteCount: 128 * cell.threads, alignment: 128)
        for thread in 0..<cell.threads {
            (words + 128 * thread).bindMemory(to: Atomic<Int64>.self, capacity: 1).initialize(to: Atomic(0))
        }
        defer { words.deallocate() }
        let base = UInt(bitPattern: words)
        let readsPerBatch = cell.workload == .hotAllowAt
        let measurement = self.run(cell) { thread, stop, results in
            let word = UnsafeMutableRawPointer(bitPattern: base + UInt(128 * thread))!
                .assumingMemoryBound(to: Atomic<Int64>.self)
            results.update(thread) { tally in
                // Two loops, each with its reading pattern compiled in: a test per decision would
                // itself cost the floor a branch.
                if readsPerBatch {
                    self.floorLoop(word, clock: clock, readsPerBatch: true, stop: stop, tally: &tally)
                } else {
                    self.floorLoop(word, clock: clock, readsPerBatch: false, stop: stop, tally: &tally)
                }
            }
        }
        return measurement
    }

    /// The floor's loop: compare-and-swap on `word`, with a reading per decision or, on
    /// `hot-allow-at`, per batch.
    @inline(__always)
    private static func floorLoop(
        _ word: UnsafeMutablePointer<Atomic<Int64>>,
        clock: some RateLimitClock,
        readsPerBatch: Bool,
        stop: StopFlag,
        tally: inout WorkerTally
    ) {
        let timer = MonotonicClock()
        var operation = 0
        var untilSample = self.latencySampleInterval
        var expected: Int64 = 0
        // At least one batch, like the engines' loop (`closedLoop`): a worker scheduled only
        // after the stop still measures something, so no cell reports 0 ops/s.
        repeat {
            let batchReading = readsPerBatch ? clock.monotonicNanoseconds() : 0
            for _ in 0..<self.batch {
                operation &+= 1
                untilSample &-= 1
                let start = untilSample == 0 ? timer.monotonicNanoseconds() : 0
                let now = readsPerBatch ? batchReading : clock.monotonicNanoseconds()
                // Relaxed: the word is private; the exchange is the cost being measured.
                let (exchanged, current) = word.pointee.compareExchange(
                    expected: expected,
                    desired: now,
                    ordering: .relaxed
                )
                expected = exchanged ? now : current
                if untilSample == 0 {
                    untilSample = self.latencySampleInterval
                    _ = tally.latency.record(UInt64(max(0, timer.monotonicNanoseconds() - start)))
                }
            }
        } while !stop.isRaised
        tally.operations = operation
        tally.allowed = operation
    }

    /// Starts the workers, releases them together, samples resident memory while they run, stops
    /// them after the cell's duration and collects their tallies.
    static func run(
        _ cell: CellConfiguration,
        work: @escaping @Sendable (Int, StopFlag, PerThreadResults<WorkerTally>) -> Void
    ) -> RepetitionMeasurement {
        let results = PerThreadResults(count: cell.threads, initial: WorkerTally())
        let stop = StopFlag()
        let cpus = cell.settings.pinningOrder.map { Array($0.prefix(cell.threads)) }
        // Each worker pins itself (a migration, so before its first scheduler reading), then
        // reads its scheduler counters before the start line and again after its last decision.
        let prepare: @Sendable (Int) -> Void = { thread in
            if let cpus { self.pinCurrentThread(to: cpus[thread]) }
            results.update(thread) { $0.scheduling = ThreadSchedulingCounters.current() }
        }
        let workers = RealThreads.Group(count: cell.threads, prepare: prepare) { thread in
            work(thread, stop, results)
            let end = ThreadSchedulingCounters.current()
            results.update(thread) { tally in
                tally.scheduling = tally.scheduling.flatMap { start in end?.since(start) }
            }
        }
        let duration = cell.settings.duration.saturatingNanoseconds
        let timer = MonotonicClock()
        // The cell's clock starts when the last worker is ready.
        workers.release()
        let start = timer.monotonicNanoseconds()
        let hostBefore = HostCPUTimes.current()
        var residentSamples: [Int] = []
        for slice in 1...8 {
            let wake = start + duration * Int64(slice) / 8
            var remaining = wake - timer.monotonicNanoseconds()
            while remaining > 0 {
                let (seconds, nanoseconds) = remaining.quotientAndRemainder(dividingBy: 1_000_000_000)
                var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(nanoseconds))
                nanosleep(&request, nil)
                remaining = wake - timer.monotonicNanoseconds()
            }
            residentSamples.append(ResidentMemory.bytes() ?? 0)
        }
        stop.raise()
        workers.join()
        let elapsed = timer.monotonicNanoseconds() - start
        let hostAfter = HostCPUTimes.current()
        var latency = WorkerTally.makeHistogram()
        var operations = 0
        var allowed = 0
        var due: Int?
        for tally in results.all {
            latency.add(tally.latency)
            operations += tally.operations
            allowed += tally.allowed
            if let owed = tally.due { due = (due ?? 0) + owed }
        }
        var measurement = RepetitionMeasurement(
            operations: operations,
            elapsedNanoseconds: elapsed,
            allowed: allowed,
            latency: latency,
            residentSamples: residentSamples
        )
        measurement.hostTicks = hostBefore.flatMap { before in hostAfter?.since(before) }
        measurement.scheduling = ThreadSchedulingCounters.sum(results.all.map(\.scheduling))
        measurement.cpus = cpus
        measurement.due = due
        return measurement
    }

    /// Pins the calling thread to `cpu`, one the process may run on (`--pin` checked that).
    private static func pinCurrentThread(to cpu: Int) {
        let result = crl_pin_current_thread(Int32(cpu))
        // Only a CPU taken away from the process since the run was planned can fail here.
        precondition(result == 0, "--pin: cannot pin a worker thread to CPU \(cpu) (errno \(result))")
    }
}
