import RateLimit

// Single-threaded scenarios on a hand-driven clock. Expected values are worked out by hand from
// the policy — not taken from the code under test — and written in nanoseconds.

private let ms = nanosecondsPerMillisecond
private let s = nanosecondsPerSecond

extension RateLimiterConformance {
    /// The tutorial's policy: bursts of 10, 2 tokens per second.
    private func tutorial(_ mode: RefillMode, _ context: ScenarioContext<Key>) throws(ConformanceFailure)
        -> BucketPolicy
    {
        try context.policy(10, 2, every: .seconds(1), mode)
    }

    func burstThenDeny(_ context: ScenarioContext<Key>) throws(ConformanceFailure) {
        for mode in [RefillMode.smooth, .stepped] {
            let clock = ManualClock()
            let limiter = try context.limiter(try self.tutorial(mode, context), clock: clock)
            for request in 1...10 {
                // Smooth: each token takes 0.5 s to come back. Stepped: 2 per whole second.
                let reset = mode == .smooth ? Int64(request) * 500 * ms : Int64((request + 1) / 2) * s
                try context.expect(
                    limiter.acquire(context.key(0)), allowed: true, remaining: 10 - request, retryAfter: 0,
                    resetAfter: reset, "\(mode) request \(request)")
            }
            for request in 11...12 {
                try context.expect(
                    limiter.acquire(context.key(0)),
                    allowed: false,
                    remaining: 0,
                    retryAfter: mode == .smooth ? 500 * ms : s,
                    resetAfter: 5 * s,
                    "\(mode) request \(request)"
                )
            }
            try context.expect(
                limiter.acquire(context.key(1)), allowed: true, remaining: 9, "\(mode) another key is independent")
        }
    }

    func refillWholeIntervals(_ context: ScenarioContext<Key>) throws(ConformanceFailure) {
        for mode in [RefillMode.smooth, .stepped] {
            let clock = ManualClock()
            let limiter = try context.limiter(try self.tutorial(mode, context), clock: clock)
            for _ in 1...10 { _ = limiter.acquire(context.key(0)) }
            try context.advance(clock, 3 * s)
            // Three whole seconds earn 6 tokens in both modes.
            for request in 1...6 {
                let reset = mode == .smooth ? Int64(4 + request) * 500 * ms : Int64((4 + request + 1) / 2) * s
                try context.expect(
                    limiter.acquire(context.key(0)), allowed: true, remaining: 6 - request, retryAfter: 0,
                    resetAfter: reset, "\(mode) request \(request) after 3 s")
            }
            try context.expect(
                limiter.acquire(context.key(0)), allowed: false, remaining: 0,
                retryAfter: mode == .smooth ? 500 * ms : s, "\(mode) 7th request after 3 s")
        }
    }

    func refillPartialIntervals(_ context: ScenarioContext<Key>) throws(ConformanceFailure) {
        // Stepped: nothing before the whole interval, and the half interval left over is carried.
        do {
            let clock = ManualClock()
            let limiter = try context.limiter(try self.tutorial(.stepped, context), clock: clock)
            for _ in 1...10 { _ = limiter.acquire(context.key(0)) }
            try context.advance(clock, 999 * ms)
            try context.expect(
                limiter.acquire(context.key(0)), allowed: false, remaining: 0, retryAfter: ms, resetAfter: 4001 * ms,
                "stepped at 0.999 s")
            try context.advance(clock, ms)
            try context.expect(limiter.acquire(context.key(0)), allowed: true, remaining: 1, "stepped at 1 s, first")
            try context.expect(
                limiter.acquire(context.key(0)), allowed: true, remaining: 0, resetAfter: 5 * s,
                "stepped at 1 s, second")
            try context.expect(
                limiter.acquire(context.key(0)), allowed: false, remaining: 0, retryAfter: s, "stepped at 1 s, third")
            try context.advance(clock, 1500 * ms)
            try context.expect(
                limiter.acquire(context.key(0)), allowed: true, remaining: 1, resetAfter: 4500 * ms,
                "stepped at 2.5 s, first")
            try context.expect(
                limiter.acquire(context.key(0)), allowed: true, remaining: 0, resetAfter: 4500 * ms,
                "stepped at 2.5 s, second")
            try context.expect(
                limiter.acquire(context.key(0)), allowed: false, remaining: 0, retryAfter: 500 * ms,
                resetAfter: 4500 * ms, "stepped at 2.5 s: next step at 3 s")
        }
        // Smooth: one token every 0.5 s, fractions carried.
        do {
            let clock = ManualClock()
            let limiter = try context.limiter(try self.tutorial(.smooth, context), clock: clock)
            for _ in 1...10 { _ = limiter.acquire(context.key(0)) }
            try context.advance(clock, 250 * ms)
            try context.expect(
                limiter.acquire(context.key(0)), allowed: false, remaining: 0, retryAfter: 250 * ms,
                resetAfter: 4750 * ms, "smooth at 0.25 s")
            try context.advance(clock, 250 * ms)
            try context.expect(
                limiter.acquire(context.key(0)), allowed: true, remaining: 0, resetAfter: 5 * s, "smooth at 0.5 s")
            try context.expect(
                limiter.acquire(context.key(0)), allowed: false, remaining: 0, retryAfter: 500 * ms,
                "smooth at 0.5 s, again")
            try context.advance(clock, 750 * ms)
            try context.expect(
                limiter.acquire(context.key(0)), allowed: true, remaining: 0, resetAfter: 4750 * ms, "smooth at 1.25 s")
            try context.expect(
                limiter.acquire(context.key(0)), allowed: false, remaining: 0, retryAfter: 250 * ms,
                "smooth at 1.25 s: half a token carried")
        }
    }

    func fractionalRatesExact(_ context: ScenarioContext<Key>) throws(ConformanceFailure) {
        // (policy, step between bursts of requests, run time, tokens the run time must earn).
        // Stepped capacities exceed the refill so that a step never fills the bucket: a full
        // bucket carries no phase (see `RefillMode.stepped`), which is a semantic, not a drift.
        let cases: [(BucketPolicy, Int64, Int64, Int)] = [
            (try context.policy(7, 7, every: .milliseconds(1), .smooth), 137_000, s, 7000),
            (try context.policy(14, 7, every: .milliseconds(1), .stepped), 137_000, s, 7000),
            (try context.policy(1000, 1000, every: .seconds(3), .smooth), 7 * ms, 30 * s, 10_000),
            (try context.policy(2000, 1000, every: .seconds(3), .stepped), 7 * ms, 30 * s, 10_000),
            (try context.policy(3, 1, every: .nanoseconds(3), .smooth), Int64(1), Int64(3000), 1000),
        ]
        for (policy, step, runTime, expected) in cases {
            let clock = ManualClock()
            let limiter = try context.limiter(policy, clock: clock)
            for _ in 0..<policy.capacity { _ = limiter.acquire(context.key(0)) }
            var admitted = 0
            var elapsed: Int64 = 0
            while elapsed < runTime {
                let delta = min(step, runTime - elapsed)
                try context.advance(clock, delta)
                elapsed += delta
                while limiter.acquire(context.key(0)).isAllowed {
                    admitted += 1
                }
            }
            try context.expect(
                admitted == expected,
                "\(policy): \(runTime) ns after draining admitted \(admitted), expected exactly \(expected)")
        }
    }

    func costsAboveOne(_ context: ScenarioContext<Key>) throws(ConformanceFailure) {
        for mode in [RefillMode.smooth, .stepped] {
            let clock = ManualClock()
            let limiter = try context.limiter(try self.tutorial(mode, context), clock: clock)
            let key = context.key(0)
            try context.expect(
                limiter.acquire(key, cost: 3), allowed: true, remaining: 7,
                resetAfter: mode == .smooth ? 1500 * ms : 2 * s, "\(mode) cost 3")
            try context.expect(
                limiter.acquire(key, cost: 8), allowed: false, remaining: 7, retryAfter: mode == .smooth ? 500 * ms : s,
                "\(mode) cost 8 with 7 left: all or nothing")
            try context.expect(
                limiter.acquire(key, cost: 7), allowed: true, remaining: 0, resetAfter: 5 * s, "\(mode) cost 7")
            try context.expect(limiter.acquire(key, cost: 1), allowed: false, remaining: 0, "\(mode) empty")
            try context.advance(clock, 2 * s)
            try context.expect(limiter.acquire(key, cost: 4), allowed: true, remaining: 0, "\(mode) cost 4 after 2 s")
            try context.expect(limiter.acquire(key, cost: 1), allowed: false, remaining: 0, "\(mode) empty again")
        }
    }

    func peek(_ context: ScenarioContext<Key>) throws(ConformanceFailure) {
        for mode in [RefillMode.smooth, .stepped] {
            let clock = ManualClock()
            let limiter = try context.limiter(try self.tutorial(mode, context), clock: clock)
            let key = context.key(0)
            try context.expect(
                limiter.acquire(key, cost: 0), allowed: true, remaining: 10, retryAfter: 0, resetAfter: 0,
                "\(mode) peek at an absent key")
            if let bounded = limiter as? any BoundedRateLimiter<Key> {
                try context.expect(
                    bounded.statistics.trackedKeys == 0, "\(mode) a peek created a bucket: \(bounded.statistics)")
            }
            for _ in 1...4 { _ = limiter.acquire(key) }
            for look in 1...2 {
                try context.expect(
                    limiter.acquire(key, cost: 0), allowed: true, remaining: 6, retryAfter: 0, resetAfter: 2 * s,
                    "\(mode) peek \(look) after 4 requests")
            }
            try context.expect(limiter.acquire(key), allowed: true, remaining: 5, "\(mode) a peek takes nothing")
            for _ in 1...5 { _ = limiter.acquire(key) }
            try context.expect(
                limiter.acquire(key, cost: 0), allowed: true, remaining: 0, retryAfter: 0, resetAfter: 5 * s,
                "\(mode) peek at an empty bucket")
        }
    }

    func costAboveCapacity(_ context: ScenarioContext<Key>) throws(ConformanceFailure) {
        for mode in [RefillMode.smooth, .stepped] {
            let clock = ManualClock()
            let limiter = try context.limiter(try self.tutorial(mode, context), clock: clock)
            let key = context.key(0)
            try context.expect(
                limiter.acquire(key, cost: 11), allowed: false, remaining: 10, retryAfter: .max, resetAfter: 0,
                exceedsCapacity: true, "\(mode) cost 11 on an absent key")
            if let bounded = limiter as? any BoundedRateLimiter<Key> {
                try context.expect(
                    bounded.statistics.trackedKeys == 0,
                    "\(mode) a request above the capacity created a bucket: \(bounded.statistics)")
            }
            for _ in 1...3 { _ = limiter.acquire(key) }
            try context.expect(
                limiter.acquire(key, cost: Int.max),
                allowed: false,
                remaining: 7,
                retryAfter: .max,
                resetAfter: mode == .smooth ? 1500 * ms : 2 * s,
                exceedsCapacity: true,
                "\(mode) cost Int.max with 7 left"
            )
            try context.expect(
                limiter.acquire(key, cost: 0), allowed: true, remaining: 7, "\(mode) the bucket is unchanged")
            try context.expect(
                limiter.acquire(key, cost: 10), allowed: false, remaining: 7,
                retryAfter: mode == .smooth ? 1500 * ms : 2 * s,
                "\(mode) cost 10 (the capacity) waits for a full bucket")
        }
    }

    func retryAndResetExact(_ context: ScenarioContext<Key>) throws(ConformanceFailure) {
        // Smooth, 7 tokens per millisecond: one token every 142,857.142857… ns.
        do {
            let clock = ManualClock()
            let limiter = try context.limiter(try context.policy(3, 7, every: .milliseconds(1), .smooth), clock: clock)
            let key = context.key(0)
            for (request, reset) in [(1, Int64(142_858)), (2, 285_715), (3, 428_572)] {
                try context.expect(
                    limiter.acquire(key), allowed: true, remaining: 3 - request, retryAfter: 0, resetAfter: reset,
                    "7/ms request \(request)")
            }
            try context.expect(
                limiter.acquire(key), allowed: false, remaining: 0, retryAfter: 142_858, resetAfter: 428_572,
                "7/ms 4th request")
            try context.advance(clock, 142_857)
            try context.expect(
                limiter.acquire(key), allowed: false, remaining: 0, retryAfter: 1, resetAfter: 285_715,
                "7/ms one nanosecond early")
            try context.advance(clock, 1)
            try context.expect(
                limiter.acquire(key), allowed: true, remaining: 0, retryAfter: 0, resetAfter: 428_571,
                "7/ms exactly on time")
        }
        // Stepped, 2 tokens every 3 ms, capacity 5.
        do {
            let clock = ManualClock()
            let limiter = try context.limiter(try context.policy(5, 2, every: .milliseconds(3), .stepped), clock: clock)
            let key = context.key(0)
            for (request, reset) in [(1, 3 * ms), (2, 3 * ms), (3, 6 * ms), (4, 6 * ms), (5, 9 * ms)] {
                try context.expect(
                    limiter.acquire(key), allowed: true, remaining: 5 - request, retryAfter: 0, resetAfter: reset,
                    "stepped request \(request)")
            }
            try context.expect(
                limiter.acquire(key), allowed: false, remaining: 0, retryAfter: 3 * ms, resetAfter: 9 * ms,
                "stepped 6th request")
            try context.advance(clock, 3 * ms - 1)
            try context.expect(
                limiter.acquire(key), allowed: false, remaining: 0, retryAfter: 1, resetAfter: 6 * ms + 1,
                "stepped one nanosecond early")
            try context.advance(clock, 1)
            try context.expect(
                limiter.acquire(key), allowed: true, remaining: 1, retryAfter: 0, resetAfter: 6 * ms,
                "stepped on the step, first")
            try context.expect(
                limiter.acquire(key), allowed: true, remaining: 0, retryAfter: 0, resetAfter: 9 * ms,
                "stepped on the step, second")
            try context.expect(
                limiter.acquire(key), allowed: false, remaining: 0, retryAfter: 3 * ms, resetAfter: 9 * ms,
                "stepped after the step")
        }
    }

    func longIdleGaps(_ context: ScenarioContext<Key>) throws(ConformanceFailure) {
        let century = 100 * 365 * 86_400 * s
        for mode in [RefillMode.smooth, .stepped] {
            let clock = ManualClock()
            let limiter = try context.limiter(try self.tutorial(mode, context), clock: clock)
            let key = context.key(0)
            for round in 1...2 {
                for _ in 1...10 { _ = limiter.acquire(key) }
                try context.advance(clock, century)
                for request in 1...10 {
                    try context.expect(
                        limiter.acquire(key), allowed: true, remaining: 10 - request,
                        "\(mode) request \(request) after \(round * 100) idle years")
                }
                try context.expect(
                    limiter.acquire(key), allowed: false, remaining: 0, retryAfter: mode == .smooth ? 500 * ms : s,
                    "\(mode) 11th request after \(round * 100) idle years")
                try context.advance(clock, s)
                try context.expect(
                    limiter.acquire(key, cost: 2), allowed: true, remaining: 0, "\(mode) one second later")
            }
        }
    }

    func clockMovingBackwards(_ context: ScenarioContext<Key>) throws(ConformanceFailure) {
        for mode in [RefillMode.smooth, .stepped] {
            let clock = ScriptedClock(nanoseconds: 10 * s)
            let limiter = try context.limiter(try self.tutorial(mode, context), clock: clock)
            let key = context.key(0)
            for _ in 1...10 { _ = limiter.acquire(key) }
            var admitted = 10
            // Readings older than what the bucket has seen must never earn tokens.
            for (reading, label) in [(5 * s, "before the engine was created"), (10 * s - 1, "1 ns before the drain")] {
                clock.set(nanoseconds: reading)
                let decision = limiter.acquire(key)
                try context.expect(
                    !decision.isAllowed && decision.remaining == 0 && decision.retryAfterNanoseconds > 0,
                    "\(mode) a reading \(label) admitted or reported tokens: \(decision)")
            }
            clock.set(nanoseconds: 10 * s + 500 * ms)
            if limiter.acquire(key).isAllowed { admitted += 1 }
            clock.set(nanoseconds: 7 * s)
            try context.expect(
                !limiter.acquire(key).isAllowed, "\(mode) a reading of 7 s after one of 10.5 s admitted a request")
            clock.set(nanoseconds: 11 * s)
            while limiter.acquire(key).isAllowed { admitted += 1 }
            // From 10 s to 11 s the bucket earns exactly 2 tokens in either mode.
            try context.expect(
                admitted == 12,
                "\(mode) admitted \(admitted) by 11 s with readings going backwards; exactly 12 expected")
        }
    }
}
