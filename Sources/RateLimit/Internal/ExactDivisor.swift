/// Division by a divisor fixed when a policy is made, with a multiplication and a shift instead
/// of a `div` instruction: exact for every dividend in `0..<2⁶³`.
///
/// Every allowed decision divides by a policy constant (`remaining` is `capacity` minus the debt
/// in whole tokens, rounded up), and a 64-bit `idiv` takes tens of cycles: on the benchmark
/// machine it was a sixth of an in-cache decision's time outside the clock read.
///
/// ## Why the quotient is exact
/// For a divisor `d` that is not a power of two, let `ℓ = ⌈log₂ d⌉` (so `2^(ℓ−1) < d < 2^ℓ`),
/// `k = 63 + ℓ`, and `m = ⌈2^k / d⌉ = (2^k + e) / d` with `0 ≤ e < d`.
///
/// - `m` fits one word: `2^k / d < 2^k / 2^(ℓ−1) = 2^64`, and `2^k / d > 2^64 − 1` would need
///   `d < 2^(ℓ−1)·(1 + 1/(2^64 − 1))`, which no integer above `2^(ℓ−1)` is; so `m ≤ 2^64 − 1`.
/// - For `0 ≤ n < 2^63`: `n·m / 2^k = n/d + n·e / (d·2^k)`, where `n·e < 2^63 · 2^ℓ = 2^k`, so
///   the error term is below `1/d`. Writing `n = q·d + r` with `r ≤ d − 1`, `n/d + error` lies in
///   `[q, q + (d − 1)/d + 1/d) = [q, q + 1)`: its floor is `q`.
///
/// The product's high word shifted right by `k − 64 = ℓ − 1` is that floor. A power of two, 1
/// included, is a shift. At `n ≥ 2^63` the bound fails, and so can the quotient.
///
/// This is Granlund and Montgomery's division by invariant integers, with the multiplier chosen
/// for dividends below 2⁶³ so that it fits one word and needs no fix-up step.
@usableFromInline
package struct ExactDivisor: Hashable, Sendable {
    /// `d`.
    @usableFromInline let divisor: Int64
    /// `m`, or 0 for a power of two.
    @usableFromInline let multiplier: UInt64
    /// `ℓ − 1` for the multiplier's high word, or `log₂ d` for a power of two.
    @usableFromInline let shift: UInt64

    /// - Precondition: `divisor > 0`.
    package init(_ divisor: Int64) {
        precondition(divisor > 0, "a divisor must be positive, not \(divisor)")
        self.divisor = divisor
        let d = UInt64(divisor)
        if d & (d - 1) == 0 {
            self.multiplier = 0
            self.shift = UInt64(d.trailingZeroBitCount)
            return
        }
        let ceilingLog = UInt64(64 - (d - 1).leadingZeroBitCount)
        // 2^k / d with k = 63 + ℓ: the dividend's high word, 2^(ℓ−1), is below d, so the quotient
        // fits one word.
        let (quotient, remainder) = d.dividingFullWidth((high: 1 << (ceilingLog - 1), low: 0))
        self.multiplier = quotient + (remainder == 0 ? 0 : 1)
        self.shift = ceilingLog - 1
    }

    /// `n / d`, rounded down.
    ///
    /// - Precondition: `0 ≤ n < 2⁶³` (not checked: callers' operands are below 2⁶³ by the
    ///   tick bounds).
    @inlinable
    @inline(__always)
    package func divide(_ n: Int64) -> Int64 {
        assert(n >= 0, "ExactDivisor divides 0..<2⁶³, not \(n)")
        let value = UInt64(bitPattern: n)
        // The branch depends on the policy only, so it is always predicted.
        if self.multiplier == 0 { return Int64(bitPattern: value >> self.shift) }
        return Int64(bitPattern: value.multipliedFullWidth(by: self.multiplier).high >> self.shift)
    }

    /// `⌈n / d⌉`, for `0 ≤ n` and `n + d − 1 < 2⁶³` (both below 2⁶² suffices).
    @inlinable
    @inline(__always)
    package func divideRoundingUp(_ n: Int64) -> Int64 {
        self.divide(n &+ self.divisor &- 1)
    }
}
