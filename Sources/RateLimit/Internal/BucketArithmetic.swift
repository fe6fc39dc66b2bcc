/// The token-bucket arithmetic every engine shares: one pure function from a bucket's *debt* and
/// a request's cost to a decision and the new debt. Engines differ only in how they store the
/// debt and serialise updates, so they give the same answers by construction.
///
/// ## State: debt in ticks
/// A bucket's whole state is one integer, the time at which it will be full again, stored in
/// *ticks* of `1/M` ns relative to an engine epoch. Relative to the current time that is the
/// bucket's **debt**: `max(0, stored − now)`. A debt of zero is a full bucket; an absent key is a
/// bucket whose stored time is the table's drop floor (see ``BucketTable``).
///
/// - Smooth mode is GCRA: one token costs `I' = I / g` ticks where `g = gcd(I, refill)` and
///   `M = refill / g`, so a token arrives every `I / refill` ns exactly, fractions included.
///   A request of cost `c` is allowed when `debt + c·I' ≤ capacity·I'`.
/// - Stepped mode stores `F·r − e`, with `M = r = refill`: `F` is the nanosecond at which the
///   bucket is full, and `e ∈ 0..<r` the tokens of the last step that will overflow the capacity.
///   Steps fall at `F − k·I`, so the phase survives in `F` and partial intervals carry over; a
///   request on a full bucket starts a new phase at the current time.
@usableFromInline
package struct BucketArithmetic: Hashable, Sendable {
    @usableFromInline let isStepped: Bool
    @usableFromInline let capacity: Int64
    @usableFromInline let refill: Int64
    @usableFromInline let intervalNanoseconds: Int64
    /// `M`: ticks per nanosecond.
    @usableFromInline let ticksPerNanosecond: Int64
    /// `I'`: ticks per token, in smooth mode.
    @usableFromInline let ticksPerToken: Int64
    /// The largest debt a bucket can carry: the time to refill from empty, in ticks.
    @usableFromInline let windowTicks: Int64
    /// How long an engine may use one epoch before rebasing: ticks since the epoch stay below
    /// 2⁶², so `ticks + debt` never overflows.
    @usableFromInline let rebaseAfterNanoseconds: Int64

    init(mode: RefillMode, capacity: Int64, refill: Int64, intervalNanoseconds: Int64) throws(RateLimitError) {
        self.isStepped = mode == .stepped
        self.capacity = capacity
        self.refill = refill
        self.intervalNanoseconds = intervalNanoseconds
        let window: (partialValue: Int64, overflow: Bool)
        switch mode {
        case .smooth:
            let divisor = greatestCommonDivisor(intervalNanoseconds, refill)
            self.ticksPerNanosecond = refill / divisor
            self.ticksPerToken = intervalNanoseconds / divisor
            window = capacity.multipliedReportingOverflow(by: self.ticksPerToken)
        case .stepped:
            self.ticksPerNanosecond = refill
            self.ticksPerToken = 0
            // Debt peaks at ⌈capacity / refill⌉ whole steps of `interval` ns, `refill` ticks each.
            let steps = (capacity - 1) / refill + 1
            let stepTicks = intervalNanoseconds.multipliedReportingOverflow(by: refill)
            let product = steps.multipliedReportingOverflow(by: stepTicks.partialValue)
            window = (product.partialValue, stepTicks.overflow || product.overflow)
        }
        guard !window.overflow, window.partialValue <= BucketPolicy.maximumWindowTicks else {
            let largest = Self.largestCapacity(
                mode: mode,
                refill: refill,
                intervalNanoseconds: intervalNanoseconds,
                ticksPerToken: self.ticksPerToken
            )
            let policy = "refill \(refill) every \(BucketPolicy.format(intervalNanoseconds)) (\(mode))"
            guard largest >= 1 else {
                // Not even one token fits: the interval itself is too long for this refill.
                let longest =
                    mode == .stepped ? BucketPolicy.maximumWindowTicks / refill : BucketPolicy.maximumWindowTicks
                throw .invalidPolicy(
                    "interval \(BucketPolicy.format(intervalNanoseconds)) for \(policy): one refill spans more than the 2^61-tick window; interval must be in 1 ns...\(longest) ns"
                )
            }
            throw .invalidPolicy(
                "capacity \(capacity) for \(policy): the time to refill from empty would overflow the 2^61-tick window; capacity must be in 1...\(largest)"
            )
        }
        self.windowTicks = window.partialValue
        self.rebaseAfterNanoseconds = (1 << 62) / self.ticksPerNanosecond
    }

    private static func largestCapacity(
        mode: RefillMode, refill: Int64, intervalNanoseconds: Int64, ticksPerToken: Int64
    ) -> Int64 {
        switch mode {
        case .smooth:
            return BucketPolicy.maximumWindowTicks / ticksPerToken
        case .stepped:
            let stepTicks = intervalNanoseconds.multipliedReportingOverflow(by: refill)
            guard !stepTicks.overflow, stepTicks.partialValue <= BucketPolicy.maximumWindowTicks else { return 0 }
            return (BucketPolicy.maximumWindowTicks / stepTicks.partialValue) * refill
        }
    }

    // MARK: Time

    /// Ticks since `epoch` at `now`, or `nil` when the epoch is too old and the caller must rebase.
    /// A `now` before the epoch (a stale reading) counts as the epoch itself: no engine lets the
    /// time it decides at move backwards.
    @inlinable
    func ticks(at now: Int64, epoch: Int64) -> Int64? {
        let elapsed = now &- epoch
        if elapsed < 0 { return 0 }
        if elapsed >= self.rebaseAfterNanoseconds { return nil }
        return elapsed &* self.ticksPerNanosecond
    }

    /// The debt of a bucket that will be full at `stored` ticks, seen at `now` ticks.
    @inlinable
    func debt(stored: Int64, now: Int64) -> Int64 {
        let debt = stored &- now
        return debt > 0 ? debt : 0
    }

    @inlinable
    func nanoseconds(ceilingOfTicks ticks: Int64) -> Int64 {
        self.ticksPerNanosecond == 1 ? ticks : ceilingDivide(ticks, self.ticksPerNanosecond)
    }

    // MARK: Decisions

    /// Applies a request of `cost` tokens to a bucket with `debt` ticks of debt.
    ///
    /// - Precondition: `cost >= 0` and `debt >= 0`.
    /// - Complexity: O(1): a handful of integer operations, no allocation.
    @inlinable
    package func decide(debt: Int64, cost: Int) -> BucketOutcome {
        self.isStepped
            ? self.decideStepped(debt: debt, cost: Int64(cost)) : self.decideSmooth(debt: debt, cost: Int64(cost))
    }

    // MARK: The drop floor

    /// The drop floor after evicting a bucket that was full at `stored`, with a reading of `now`
    /// ticks (see ``BucketTable``'s "drop floor").
    ///
    /// At least `now`: the evicted key is never decided as of an earlier time than the eviction's.
    /// And at least `stored − window`: every admission leaves a bucket at most one window ahead of
    /// its own reading, so that moment is no later than a reading already used on the key — while
    /// it caps what the eviction forgives at one window (`capacity` tokens; stepped: `capacity`
    /// rounded up to whole steps), even when the evicting caller's reading is stale. For a drop
    /// (`stored ≤ now`) this is just `max(floor, now)`.
    @inlinable
    package func floor(_ floor: Int64, afterRemoving stored: Int64, now: Int64) -> Int64 {
        max(floor, now, stored &- self.windowTicks)
    }

    @inlinable
    func decideSmooth(debt: Int64, cost: Int64) -> BucketOutcome {
        let capacity = self.capacity
        if cost > capacity {
            return self.exceedsCapacity(remaining: capacity - ceilingDivide(debt, self.ticksPerToken), debt: debt)
        }
        // cost ≤ capacity, so cost·I' ≤ window ≤ 2⁶¹ and debt ≤ 2⁶¹ (plus a stale-clock excess):
        // no overflow.
        let newDebt = debt &+ cost &* self.ticksPerToken
        if newDebt <= self.windowTicks {
            return BucketOutcome(
                decision: RateLimitDecision(
                    isAllowed: true,
                    remaining: Int(capacity - ceilingDivide(newDebt, self.ticksPerToken)),
                    limit: Int(capacity),
                    retryAfterNanoseconds: 0,
                    resetAfterNanoseconds: self.nanoseconds(ceilingOfTicks: newDebt)
                ),
                newDebt: cost == 0 ? nil : newDebt
            )
        }
        return BucketOutcome(
            decision: RateLimitDecision(
                isAllowed: false,
                remaining: Int(max(0, capacity - ceilingDivide(debt, self.ticksPerToken))),
                limit: Int(capacity),
                retryAfterNanoseconds: self.nanoseconds(ceilingOfTicks: newDebt - self.windowTicks),
                resetAfterNanoseconds: self.nanoseconds(ceilingOfTicks: debt)
            ),
            newDebt: nil
        )
    }

    @inlinable
    func decideStepped(debt: Int64, cost: Int64) -> BucketOutcome {
        let capacity = self.capacity
        let refill = self.refill
        let interval = self.intervalNanoseconds
        // Decode debt = F·r − e, relative to now: nanoseconds until full, overflow tokens, steps.
        var fullIn: Int64 = 0
        var overflow: Int64 = 0
        var steps: Int64 = 0
        if debt > 0 {
            fullIn = ceilingDivide(debt, refill)
            overflow = fullIn &* refill &- debt
            steps = ceilingDivide(fullIn, interval)
        }
        let deficit = steps &* refill &- overflow
        let available = max(0, capacity - deficit)
        if cost > capacity {
            return self.exceedsCapacity(remaining: available, debt: debt)
        }
        if cost <= available {
            if cost == 0 {
                return BucketOutcome(
                    decision: RateLimitDecision(
                        isAllowed: true,
                        remaining: Int(available),
                        limit: Int(capacity),
                        retryAfterNanoseconds: 0,
                        resetAfterNanoseconds: fullIn
                    ),
                    newDebt: nil
                )
            }
            let newDeficit = deficit &+ cost
            let newSteps = ceilingDivide(newDeficit, refill)
            let newOverflow = newSteps &* refill &- newDeficit
            // A full bucket has no phase: its steps start now. Otherwise the phase in F is kept.
            let newFullIn = steps == 0 ? newSteps &* interval : fullIn &+ (newSteps &- steps) &* interval
            return BucketOutcome(
                decision: RateLimitDecision(
                    isAllowed: true,
                    remaining: Int(capacity &- newDeficit),
                    limit: Int(capacity),
                    retryAfterNanoseconds: 0,
                    resetAfterNanoseconds: newFullIn
                ),
                newDebt: newFullIn &* refill &- newOverflow
            )
        }
        // The request fits once at most `affordable` steps remain before F.
        let affordable = (capacity &- cost &+ overflow) / refill
        return BucketOutcome(
            decision: RateLimitDecision(
                isAllowed: false,
                remaining: Int(available),
                limit: Int(capacity),
                retryAfterNanoseconds: fullIn &- affordable &* interval,
                resetAfterNanoseconds: fullIn
            ),
            newDebt: nil
        )
    }

    @inlinable
    func exceedsCapacity(remaining: Int64, debt: Int64) -> BucketOutcome {
        BucketOutcome(
            decision: RateLimitDecision(
                isAllowed: false,
                remaining: Int(max(0, remaining)),
                limit: Int(self.capacity),
                retryAfterNanoseconds: .max,
                resetAfterNanoseconds: self.isStepped
                    ? ceilingDivide(debt, self.refill) : self.nanoseconds(ceilingOfTicks: debt),
                exceedsCapacity: true
            ),
            newDebt: nil
        )
    }
}

/// A decision and what it does to the bucket.
@usableFromInline
package struct BucketOutcome: Sendable {
    /// What the caller is told.
    @usableFromInline package var decision: RateLimitDecision
    /// The bucket's new debt, or `nil` when the bucket must not change (a denial or a peek).
    @usableFromInline package var newDebt: Int64?

    @inlinable
    init(decision: RateLimitDecision, newDebt: Int64?) {
        self.decision = decision
        self.newDebt = newDebt
    }
}

/// `⌈a / b⌉` for `a ≥ 0`, `b > 0`, both below 2⁶².
@inlinable
func ceilingDivide(_ a: Int64, _ b: Int64) -> Int64 {
    (a &+ b &- 1) / b
}

private func greatestCommonDivisor(_ a: Int64, _ b: Int64) -> Int64 {
    var (a, b) = (a, b)
    while b != 0 { (a, b) = (b, a % b) }
    return a
}
