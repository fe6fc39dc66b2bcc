import RateLimit

// Real threads saturating one key on the real clock, with bounds that hold whatever the scheduler
// does: no assumption about how often threads run, how long they are preempted, or how much CPU
// the host steals.
//
// ## The bounds, derived
// Every decision `j` is made at a clock reading `e_j` the test cannot see, but brackets: each
// thread reads the clock before and after each call, so `b_j ≤ e_j ≤ a_j`.
//
// **Upper.** Every reading lies in `[start, end]`, so a correct engine admits at most what a bucket
// earns over that span (see the stale-reading scenarios): `capacity + ⌊refill·L/interval⌋`
// smooth, `capacity + refill·⌈L/interval⌉` stepped, `L = end − start`.
//
// **Lower, smooth (GCRA).** A bucket's state is its theoretical arrival time `TAT`, which only
// moves forwards: the first admission sets it to `e_1 + T` (`T` the time of one token), every
// later admission adds `T` plus the *jump* `max(0, e − TAT)` — the time the bucket sat full, whose
// tokens are lost — and denials leave it alone. So `TAT_final = e_1 + n·T + Σ jumps`. A denial at
// reading `e_d` means `TAT > e_d + capacity·T − T` then, and `TAT` only grows, hence
//     `n > (e_d − e_1 − Σ jumps)/T + capacity − 1`.
// Only an admission that found the bucket full can jump, and it reports `remaining ==
// capacity − 1`; its jump is at most `a_j − b_prev`, where `b_prev` brackets the previous decision
// of the same thread (which came earlier in the serial order, and left `TAT ≥ e_prev`). The test
// takes `e_d` from the latest denial's lower bracket and `e_1` from the largest upper bracket of
// the threads' first decisions that found the bucket full (the run's first decision is one). Nothing here depends on how busy the threads were: tokens earned
// while every thread was descheduled count against the bound only if the bucket filled up and
// lost them, and then the jump accounts for exactly that.
//
// **Lower, stepped.** Between two moments the bucket is full (a *phase*, starting at `t0` with the
// admission that found it full), the tokens taken `K` and the steps `p(t) = ⌊(t − t0)/interval⌋`
// elapsed satisfy `deficit = K − refill·p`; a denial at `e_d` means `K ≥ capacity + refill·p(e_d)`.
// A phase that ends full took `K ≥ refill·(F − t0)/interval − (refill − 1)` tokens, `F` the moment
// it filled; the next phase starts a jump later. Summed:
//     `n ≥ capacity − refill + refill·(e_d − e_1 − Σ jumps)/interval − (phases − 1)·(refill − 1)`,
// with the same brackets and the number of admissions that found the bucket full for `phases`
// (each starts one). With a single phase the bound is exact in whole steps:
// `n ≥ capacity + refill·⌊(e_d − e_1)/interval⌋`.
//
// Gaps — stretches longer than a millisecond between one thread's consecutive clock readings, and
// the *joint* gaps when no thread was calling at all — are recorded too, and reported with any
// failure: they explain a low count, but the bound needs no assumption about them.

/// What one thread of a saturation run observed.
package struct SaturationLog: Sendable {
    package var admitted = 0
    package var decisions = 0
    package var inconsistent = 0
    package var firstInconsistency: String?
    /// The upper bracket of this thread's first decision, and whether that decision found the
    /// bucket full (the run's very first decision does).
    var firstAfter: Int64 = .max
    var firstFoundFull = false
    /// The lower bracket of this thread's latest denial.
    var lastDenialBefore: Int64 = .min
    /// Admissions that found the bucket full, and the sum of their jump bounds.
    var fullBucketAdmissions = 0
    var jumpBound: Int64 = 0
    /// This thread's first and last clock readings, and its gaps (longer than a millisecond).
    var firstReading: Int64 = .max
    var lastReading: Int64 = .min
    var gaps: [ClosedRange<Int64>] = []

    /// Gaps longer than this between one thread's consecutive readings are recorded.
    static let gapThreshold: Int64 = 1_000_000
}

/// The bounds of a saturation run, and what went into them.
package struct SaturationBounds: Sendable, CustomStringConvertible {
    package var lower: Int
    package var upper: Int
    package var admitted: Int
    /// Time, in the run's span, when no thread was calling.
    package var jointGapNanoseconds: Int64
    /// The longest gap of a single thread.
    package var longestGapNanoseconds: Int64
    /// Upper bound on the time the bucket sat full after the first admission (its tokens lost).
    package var fullTimeNanoseconds: Int64
    package var fullBucketAdmissions: Int

    package var description: String {
        "admitted \(self.admitted), bounds \(self.lower)...\(self.upper); no thread calling for \(self.jointGapNanoseconds / 1_000_000) ms in all (longest gap of one thread \(self.longestGapNanoseconds / 1_000_000) ms), bucket full for at most \(self.fullTimeNanoseconds / 1_000_000) ms over \(self.fullBucketAdmissions) refills to full"
    }
}

package enum SaturationRun {
    /// Runs `threads` real threads that request one token of `key` back to back until `deadline`
    /// (a reading of `clock`), and returns what each saw.
    package static func run<Key: Hashable & Sendable>(
        _ limiter: any RateLimiter<Key>,
        key: Key,
        threads: Int,
        clock: MonotonicClock,
        start: Int64,
        until deadline: Int64
    ) -> [SaturationLog] {
        let capacity = limiter.policy.capacity
        let results = PerThreadResults(count: threads, initial: SaturationLog())
        RealThreads.run(threads) { thread in
            results.update(thread) { log in
                var before = clock.monotonicNanoseconds()
                var previousBefore = start
                log.firstReading = before
                while true {
                    let decision = limiter.acquire(key)
                    let after = clock.monotonicNanoseconds()
                    log.decisions += 1
                    if log.firstAfter == .max {
                        log.firstAfter = after
                        log.firstFoundFull = decision.isAllowed && decision.remaining == capacity - 1
                    }
                    if !decision.isConsistent(cost: 1, capacity: capacity) {
                        log.inconsistent += 1
                        if log.firstInconsistency == nil { log.firstInconsistency = "cost 1 got \(decision)" }
                    }
                    if decision.isAllowed {
                        log.admitted += 1
                        if decision.remaining == capacity - 1 {
                            log.fullBucketAdmissions += 1
                            log.jumpBound += after - previousBefore
                        }
                    } else {
                        log.lastDenialBefore = before
                    }
                    if after - before > SaturationLog.gapThreshold {
                        log.gaps.append(before...after)
                    }
                    previousBefore = before
                    before = after
                    if after >= deadline { break }
                }
                log.lastReading = before
            }
        }
        return results.all
    }

    /// The bounds for `logs` of a run of `policy` whose every reading lies in `start...end`.
    package static func bounds(_ policy: BucketPolicy, _ logs: [SaturationLog], start: Int64, end: Int64)
        -> SaturationBounds
    {
        let capacity = Int128(policy.capacity)
        let refill = Int128(policy.refill)
        let interval = policy.interval.totalNanoseconds
        let span = Int128(end - start)
        let upper =
            policy.mode == .smooth
            ? capacity + refill * span / interval : capacity + refill * ((span + interval - 1) / interval)

        let admitted = logs.reduce(0) { $0 + $1.admitted }
        let jumps = Int128(logs.reduce(0) { $0 + $1.jumpBound })
        let refillsToFull = logs.reduce(0) { $0 + $1.fullBucketAdmissions }
        var lower: Int128 = 0
        let lastDenial = logs.map(\.lastDenialBefore).max() ?? .min
        // The run's first decision is some thread's first, and found the bucket full.
        let firstDecision =
            logs.filter(\.firstFoundFull).map(\.firstAfter).max() ?? logs.map(\.firstAfter).filter { $0 != .max }.max()
        if lastDenial != .min, let firstDecision {
            // Floor division (the argument may be negative when everything is a gap).
            let earning = Int128(lastDenial) - Int128(firstDecision) - jumps
            let earned = floorDivide(refill * earning, interval)
            if policy.mode == .smooth {
                lower = capacity - 1 + earned
            } else if refillsToFull <= 1 {
                // One phase, from the run's first decision: whole steps since then, exactly.
                lower = capacity + refill * floorDivide(Int128(lastDenial) - Int128(firstDecision), interval)
            } else {
                lower = capacity - refill + earned - Int128(refillsToFull - 1) * (refill - 1)
            }
        }
        return SaturationBounds(
            lower: Int(max(0, lower)),
            upper: Int(upper),
            admitted: admitted,
            jointGapNanoseconds: self.jointGap(logs, start: start, end: end),
            longestGapNanoseconds: logs.flatMap { $0.gaps.map { $0.upperBound - $0.lowerBound } }.max() ?? 0,
            fullTimeNanoseconds: Int64(jumps),
            fullBucketAdmissions: refillsToFull
        )
    }

    /// The time in `start...end` covered by no thread: outside its first-to-last readings, or
    /// inside one of its gaps.
    static func jointGap(_ logs: [SaturationLog], start: Int64, end: Int64) -> Int64 {
        // Each thread covers [first, last] minus its gaps; sweep the union of the coverage.
        var boundaries: [(Int64, Int)] = []
        for log in logs where log.firstReading <= log.lastReading {
            var from = log.firstReading
            for gap in log.gaps.sorted(by: { $0.lowerBound < $1.lowerBound }) {
                if gap.lowerBound > from {
                    boundaries.append((from, 1))
                    boundaries.append((gap.lowerBound, -1))
                }
                from = max(from, gap.upperBound)
            }
            if log.lastReading > from {
                boundaries.append((from, 1))
                boundaries.append((log.lastReading, -1))
            }
        }
        boundaries.sort { $0.0 == $1.0 ? $0.1 > $1.1 : $0.0 < $1.0 }
        var covered: Int64 = 0
        var depth = 0
        var openedAt = start
        for (time, delta) in boundaries {
            let clamped = min(max(time, start), end)
            if depth == 0 && delta > 0 { openedAt = clamped }
            depth += delta
            if depth == 0 && delta < 0 { covered += clamped - openedAt }
        }
        return max(0, (end - start) - covered)
    }
}

private func floorDivide(_ a: Int128, _ b: Int128) -> Int128 {
    let quotient = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient
}

extension RateLimitDecision {
    /// Whether the decision's fields agree with each other for a request of `cost` tokens from a
    /// bucket of `capacity`: `remaining` in range, an admission with room for it, a denial short
    /// of the cost.
    package func isConsistent(cost: Int, capacity: Int) -> Bool {
        let inRange = self.remaining >= 0 && self.remaining <= capacity && self.limit == capacity
        if self.isAllowed {
            return inRange && self.remaining <= capacity - cost && self.retryAfterNanoseconds == 0
        }
        return inRange && self.remaining < cost
    }
}
