import RateLimit

// Reservations (`ReservingRateLimiter`): delays exact to the nanosecond, the bucket's future
// shared with plain acquisitions, cancellation exactly when nothing depends on the tokens, and
// exact totals under contention.

extension RateLimiterConformance {
    func runReservation(_ name: String, _ context: ScenarioContext<Key>) throws(ConformanceFailure) {
        switch name {
        case "reservation-queue": try self.reservationQueue(context)
        case "reservation-cancel": try self.reservationCancel(context)
        case "reservation-cancel-after-eviction": try self.reservationCancelAfterEviction(context)
        case "reservation-limits": try self.reservationLimits(context)
        case "reservation-model-random": try self.reservationModelRandom(context)
        case "contention-reservations": try self.contentionReservations(threads: try context.threads(), context)
        default: throw context.failure("unknown scenario")
        }
    }

    /// Capacity 2, one token per 100 ms: two served at once, then one per 100 ms; plain
    /// acquisitions see the reserved tokens as spent.
    func reservationQueue(_ context: ScenarioContext<Key>) throws(ConformanceFailure) {
        let policy = try context.policy(2, 10, every: .seconds(1), .smooth)
        let clock = ManualClock()
        let limiter = try context.reserving(try context.limiter(policy, clock: clock))
        let key = context.key(0)
        let ms = nanosecondsPerMillisecond
        for remaining in [1, 0] {
            let reservation = try context.reserved(limiter.schedule(key, cost: 1, maxWait: .zero), "at once")
            try context.expect(
                reservation.delayNanoseconds == 0, "a full bucket serves at once; got \(reservation.delay)")
            try context.expect(reservation.decision, allowed: true, remaining: remaining, "reservation at once")
        }
        try context.expectWait(
            limiter.schedule(key, cost: 1, maxWait: .zero), 100 * ms, "an empty bucket, no wait allowed")
        for (delay, reset) in [(100 * ms, 200 * ms), (200 * ms, 200 * ms)] {
            let reservation = try context.reserved(
                limiter.schedule(key, cost: 1, maxWait: .milliseconds(250)), "queued")
            try context.expect(
                reservation.delayNanoseconds == delay && reservation.readyAtNanoseconds == delay,
                "queued reservation: expected a delay and time to act of \(delay) ns; got \(reservation.delayNanoseconds), \(reservation.readyAtNanoseconds)"
            )
            try context.expect(
                reservation.decision, allowed: true, remaining: 0, retryAfter: 0, resetAfter: reset,
                "queued reservation")
        }
        try context.expectWait(
            limiter.schedule(key, cost: 1, maxWait: .milliseconds(250)), 300 * ms, "a third reservation past maxWait")
        try context.expect(
            limiter.acquire(key), allowed: false, remaining: 0, retryAfter: 300 * ms, resetAfter: 400 * ms,
            "an acquisition behind two reservations")
        try context.advance(clock, 100 * ms)
        try context.expect(
            limiter.acquire(key), allowed: false, remaining: 0, retryAfter: 200 * ms, "an acquisition 100 ms later")
        try context.advance(clock, 200 * ms)
        try context.expect(limiter.acquire(key), allowed: true, remaining: 0, "an acquisition once the queue is served")
    }

    /// Cancelling gives the tokens back exactly when no later decision depends on them.
    func reservationCancel(_ context: ScenarioContext<Key>) throws(ConformanceFailure) {
        for mode in [RefillMode.smooth, .stepped] {
            let policy = try context.policy(1, 1, every: .seconds(1), mode)
            let clock = ManualClock()
            let limiter = try context.reserving(try context.limiter(policy, clock: clock))
            let key = context.key(0)
            let second = nanosecondsPerSecond
            _ = try context.reserved(limiter.schedule(key, cost: 1, maxWait: .zero), "\(mode): at once")
            let first = try context.reserved(limiter.schedule(key, cost: 1, maxWait: .seconds(10)), "\(mode): first")
            let next = try context.reserved(limiter.schedule(key, cost: 1, maxWait: .seconds(10)), "\(mode): next")
            try context.expect(
                first.delayNanoseconds == second && next.delayNanoseconds == 2 * second,
                "\(mode): delays 1 s and 2 s expected; got \(first.delay), \(next.delay)")
            try context.expect(
                !first.cancel(), "\(mode): a reservation with a later one behind it gave its tokens back")
            // A peek changes nothing: the latest reservation is still the bucket's last change.
            _ = limiter.acquire(key, cost: 0)
            try context.expect(next.cancel(), "\(mode): the latest reservation could not be cancelled")
            try context.expect(!next.cancel(), "\(mode): a reservation was cancelled twice")
            // Now nothing depends on the first one any more.
            try context.expect(first.cancel(), "\(mode): the first reservation, latest again, could not be cancelled")
            let again = try context.reserved(limiter.schedule(key, cost: 1, maxWait: .seconds(10)), "\(mode): again")
            try context.expect(
                again.delayNanoseconds == second,
                "\(mode): after two cancellations a delay of 1 s expected; got \(again.delay)")
            // `again` left the bucket in the very state `first` did; `first`, cancelled once, must
            // not give back `again`'s tokens.
            try context.expect(!first.cancel(), "\(mode): a reservation cancelled twice gave back a later one's tokens")
            // Its time to act comes: the tokens are in use, and stay taken.
            try context.advance(clock, second)
            try context.expect(!again.cancel(), "\(mode): a reservation whose time had come gave its tokens back")
            try context.expect(
                limiter.acquire(key), allowed: false, remaining: 0, retryAfter: second, "\(mode): after the late cancel"
            )
            // A reservation served at once is in use at once.
            try context.advance(clock, 2 * second)
            let now = try context.reserved(limiter.schedule(key, cost: 1, maxWait: .zero), "\(mode): at once, later")
            try context.expect(!now.cancel(), "\(mode): a reservation served at once gave its tokens back")
        }
    }

    /// A bucket evicted (owing tokens) and created again may reach the state a reservation left;
    /// the cancellation must still fail, or it would hand out tokens the eviction already forgave.
    func reservationCancelAfterEviction(_ context: ScenarioContext<Key>) throws(ConformanceFailure) {
        let policy = try context.policy(1, 1, every: .seconds(1), .smooth)
        let clock = ManualClock()
        let limiter = try context.reserving(try context.limiter(policy, maxKeys: 1, clock: clock))
        let (first, other) = (context.key(0), context.key(1))
        _ = limiter.acquire(first)
        let reservation = try context.reserved(limiter.schedule(first, cost: 1, maxWait: .seconds(5)), "queued")
        // The only bucket owes tokens: a new key evicts it (and the floor moves to one window before
        // its end, so the next bucket of `first` starts where this one would have been).
        _ = limiter.acquire(other)
        let bounded = try context.bounded(limiter)
        try context.expect(bounded.statistics.evictedBuckets == 1, "one eviction expected; got \(bounded.statistics)")
        // Recreate `first` in the very state the reservation left, by a reservation that ends
        // where it ended.
        _ = limiter.schedule(first, cost: 1, maxWait: .seconds(5))
        try context.expect(
            !reservation.cancel(), "a reservation cancelled after its bucket was evicted gave tokens back")
    }

    /// Costs above the capacity, a negative maxWait, and the 2⁶¹-tick horizon.
    func reservationLimits(_ context: ScenarioContext<Key>) throws(ConformanceFailure) {
        let clock = ManualClock()
        let policy = try context.policy(3, 1, every: .seconds(1), .smooth)
        let limiter = try context.reserving(try context.limiter(policy, clock: clock))
        let key = context.key(0)
        guard case .exceedsCapacity(let decision) = limiter.schedule(key, cost: 4, maxWait: .seconds(100)) else {
            throw context.failure("a cost above the capacity was not refused as exceeding it")
        }
        try context.expect(decision, allowed: false, remaining: 3, exceedsCapacity: true, "cost 4 of capacity 3")
        try context.expectWait(limiter.schedule(key, cost: 1, maxWait: .nanoseconds(-1)), 0, "a negative maxWait")
        try context.expect(limiter.acquire(key, cost: 3), allowed: true, remaining: 0, "nothing was taken before")
        // One token per 2⁶⁰ ns: the window is 2⁶⁰ ticks, and a bucket may owe 2⁶¹ at most.
        let slow = try context.policy(1, 1, every: .nanoseconds(1 << 60), .smooth)
        let far = try context.reserving(try context.limiter(slow, clock: clock))
        _ = try context.reserved(far.schedule(key, cost: 1, maxWait: .zero), "slow: at once")
        let queued = try context.reserved(far.schedule(key, cost: 1, maxWait: .seconds(Int64.max)), "slow: queued")
        try context.expect(queued.delayNanoseconds == 1 << 60, "slow: a delay of 2^60 ns expected; got \(queued.delay)")
        try context.expectWait(
            far.schedule(key, cost: 1, maxWait: .seconds(Int64.max)), 1 << 61, "slow: a reservation past the horizon")
    }

    /// Random reservations, cancellations, clock steps and (with no reservation pending)
    /// acquisitions on one key, against ``ReferenceBucket``: each delay is the least after which
    /// the model admits the request, and a cancellation succeeds exactly when the model says
    /// nothing happened since the reservation and its time has not come.
    func reservationModelRandom(_ context: ScenarioContext<Key>) throws(ConformanceFailure) {
        let policies: [BucketPolicy] = [
            try context.policy(10, 2, every: .seconds(1), .smooth),
            try context.policy(10, 2, every: .seconds(1), .stepped),
            try context.policy(20, 7, every: .milliseconds(1), .smooth),
            try context.policy(20, 7, every: .milliseconds(1), .stepped),
            try context.policy(5, 3, every: .nanoseconds(7), .smooth),
            try context.policy(1, 1, every: .nanoseconds(1), .stepped),
        ]
        for (number, policy) in policies.enumerated() {
            let clock = ManualClock()
            let limiter = try context.reserving(try context.limiter(policy, clock: clock))
            let key = context.key(0)
            var random = SplitMix64(seed: 0x2E5E_0000 + UInt64(number))
            let interval = policy.interval.saturatingNanoseconds
            let refillTime = Int128(policy.capacity) * Int128(interval) / Int128(policy.refill)
            let window = Int64(refillTime) + interval
            var model = ReferenceBucket(policy: policy)
            /// The latest moment the model has decided at: the last served reservation's time.
            var modelTime: Int64 = 0
            var now: Int64 = 0
            // The latest reservation still able to be cancelled, with the model before it.
            var latest: (reservation: RateLimitReservation<Key>, before: ReferenceBucket, beforeTime: Int64)?
            for step in 0..<2000 {
                let label = "\(policy), step \(step)"
                switch random.next() % 8 {
                case 0, 1:
                    let advance = Int64(random.next() % UInt64(window / 2 + 1))
                    try context.advance(clock, advance)
                    now += advance
                case 2 where now >= modelTime:
                    let cost = Int(random.next() % UInt64(policy.capacity + 1))
                    let expected = model.acquire(cost: cost, at: now)
                    modelTime = now
                    try context.expect(
                        limiter.acquire(key, cost: cost), allowed: expected.isAllowed, remaining: expected.remaining,
                        retryAfter: expected.retryAfterNanoseconds, resetAfter: expected.resetAfterNanoseconds,
                        "\(label): acquire \(cost)")
                    if expected.isAllowed && cost > 0 { latest = nil }
                case 3 where latest != nil:
                    let (reservation, before, beforeTime) = latest.unsafelyUnwrapped
                    let expected = now < reservation.readyAtNanoseconds && reservation.delayNanoseconds > 0
                    try context.expect(
                        reservation.cancel() == expected, "\(label): cancel returned \(!expected), expected \(expected)"
                    )
                    if expected { (model, modelTime) = (before, beforeTime) }
                    latest = nil
                default:
                    let cost = Int(random.next() % UInt64(policy.capacity)) + 1
                    let maxWait = Int64(random.next() % UInt64(2 * window))
                    // The least delay after which the model admits the request.
                    let start = max(now, modelTime)
                    var (low, high) = (start, start + window + 1)
                    while low < high {
                        var probe = model
                        let middle = low + (high - low) / 2
                        if probe.acquire(cost: cost, at: middle).isAllowed { high = middle } else { low = middle + 1 }
                    }
                    let wait = low - now
                    let schedule = limiter.schedule(key, cost: cost, maxWait: .nanoseconds(maxWait))
                    guard wait <= maxWait else {
                        try context.expectWait(schedule, wait, "\(label): reserve \(cost) within \(maxWait) ns")
                        continue
                    }
                    let reservation = try context.reserved(schedule, "\(label): reserve \(cost) within \(maxWait) ns")
                    let before = model
                    let expected = model.acquire(cost: cost, at: low)
                    try context.expect(
                        reservation.delayNanoseconds == wait,
                        "\(label): delay \(wait) ns expected; got \(reservation.delay)")
                    try context.expect(
                        reservation.decision, allowed: true, remaining: expected.remaining,
                        resetAfter: expected.resetAfterNanoseconds, "\(label): reserve \(cost)")
                    latest = (reservation, before, modelTime)
                    modelTime = low
                }
            }
        }
    }

    /// Threads reserve, acquire and cancel on one key of a frozen clock. Exactly the capacity is
    /// served at once, and the reservations that stand (not cancelled) have exactly the delays of
    /// one token each per refill slot up to maxWait: none missing, none twice.
    func contentionReservations(threads: Int, _ context: ScenarioContext<Key>) throws(ConformanceFailure) {
        for mode in [RefillMode.smooth, .stepped] {
            // 100 at once, then 10 per second (stepped: 10 at each whole second).
            let policy = try context.policy(100, 10, every: .seconds(1), mode)
            let limiter = try context.reserving(try context.limiter(policy, clock: ManualClock()))
            let key = context.key(0)
            let maxWait = Duration.seconds(10)
            let results = PerThreadResults(count: threads, initial: ReservationTally())
            let attempts = 600 / threads + 20
            RealThreads.run(threads) { thread in
                results.update(thread) { tally in
                    for attempt in 0..<attempts {
                        if attempt % 2 == 0 {
                            if limiter.acquire(key).isAllowed { tally.atOnce += 1 }
                            continue
                        }
                        guard case .reserved(let reservation) = limiter.schedule(key, cost: 1, maxWait: maxWait) else {
                            continue
                        }
                        if reservation.delayNanoseconds == 0 {
                            tally.atOnce += 1
                        } else if attempt % 3 == 0 && reservation.cancel() {
                            // Given back: it no longer stands.
                        } else {
                            tally.delays.append(reservation.delayNanoseconds)
                        }
                    }
                }
            }
            let all = results.all
            var delays = all.flatMap { $0.delays }
            // Fill whatever the threads left (a cancellation at the very end frees a turn); at most
            // one more than the turns there are, so that an engine that never fills ends too.
            for _ in 0...100 {
                guard case .reserved(let reservation) = limiter.schedule(key, cost: 1, maxWait: maxWait) else { break }
                delays.append(reservation.delayNanoseconds)
            }
            let atOnce = all.reduce(0) { $0 + $1.atOnce }
            try context.expect(
                atOnce == 100,
                "\(mode), \(threads) threads: \(atOnce) served at once on a frozen clock; exactly 100 expected")
            let expected: [Int64] =
                mode == .smooth
                ? (1...100).map { Int64($0) * 100 * nanosecondsPerMillisecond }
                : (1...100).map { Int64(($0 + 9) / 10) * nanosecondsPerSecond }
            try context.expect(
                delays.sorted() == expected,
                "\(mode), \(threads) threads: \(delays.count) standing reservations with delays \(Self.summary(delays.sorted())); expected one per slot, \(Self.summary(expected))"
            )
        }
    }

    static func summary(_ delays: [Int64]) -> String {
        guard let first = delays.first, let last = delays.last else { return "none" }
        return "\(delays.count) from \(first) ns to \(last) ns"
    }
}

/// What one thread of ``RateLimiterConformance/contentionReservations(threads:_:)`` saw.
struct ReservationTally: Sendable {
    var atOnce = 0
    var delays: [Int64] = []
}

extension ScenarioContext {
    func reserving(_ limiter: any RateLimiter<Key>) throws(ConformanceFailure) -> any ReservingRateLimiter<Key> {
        guard let reserving = limiter as? any ReservingRateLimiter<Key> else {
            throw self.failure("the engine is not a ReservingRateLimiter: reservations cannot be checked")
        }
        return reserving
    }

    func reserved(_ schedule: RateLimitSchedule<Key>, _ what: @autoclosure () -> String) throws(ConformanceFailure)
        -> RateLimitReservation<Key>
    {
        guard case .reserved(let reservation) = schedule else {
            throw self.failure("\(what()): a reservation expected; got \(schedule)")
        }
        return reservation
    }

    func expectWait(_ schedule: RateLimitSchedule<Key>, _ nanoseconds: Int64, _ what: @autoclosure () -> String)
        throws(ConformanceFailure)
    {
        guard case .wouldWait(let wait) = schedule, wait == nanoseconds else {
            throw self.failure("\(what()): a refusal naming a wait of \(nanoseconds) ns expected; got \(schedule)")
        }
    }
}
