/// Division of non-negative 64-bit integers by a divisor fixed at policy creation, as one 128-bit
/// multiplication and a shift instead of an `idiv` (which costs 13–44 cycles on x86-64, more than
/// the whole compare-and-swap of a decision).
///
/// Granlund and Montgomery, "Division by Invariant Integers using Multiplication" (1994),
/// Theorem 4.2: for `0 ≤ n < 2^N` and a divisor `d` with `ℓ = ⌈log₂ d⌉`, let
/// `m = ⌈2^(N+ℓ) / d⌉`; then `⌊n / d⌋ = ⌊m·n / 2^(N+ℓ)⌋`, because `m·d − 2^(N+ℓ) < d ≤ 2^ℓ`.
/// Here `N = 63` (every dividend is a non-negative `Int64`) and `d ≤ 2⁶¹`, so `ℓ ≤ 61` and
/// `m < 2⁶⁴` fits in a `UInt64`.
@usableFromInline
struct InvariantDivisor: Hashable, Sendable {
    @usableFromInline let divisor: Int64
    @usableFromInline let magic: UInt64
    /// `N + ℓ`: how far right the 128-bit product is shifted.
    @usableFromInline let shift: Int

    /// Prepares division by `divisor`, in `1...2⁶¹`.
    init(_ divisor: Int64) {
        precondition(divisor >= 1 && divisor <= 1 << 61, "divisor \(divisor) outside 1...2^61")
        self.divisor = divisor
        let ceilingLog = divisor == 1 ? 0 : Int64.bitWidth - (divisor - 1).leadingZeroBitCount
        self.shift = 63 + ceilingLog
        // m = ⌈2^(63+ℓ) / d⌉, computed as a 128-bit quotient: 2^(63+ℓ) = (high, low).
        let numerator = UInt128(1) << (63 + ceilingLog)
        let quotient = numerator / UInt128(divisor)
        let magic = numerator % UInt128(divisor) == 0 ? quotient : quotient + 1
        self.magic = UInt64(magic)
    }

    /// `⌊n / divisor⌋` for `n ≥ 0`.
    @inlinable
    func quotient(_ n: Int64) -> Int64 {
        let (high, low) = self.magic.multipliedFullWidth(by: UInt64(bitPattern: n))
        // The product shifted right by `shift` (in 63...124): bits of `high` and maybe `low`.
        if self.shift >= 64 {
            return Int64(bitPattern: high >> UInt64(self.shift - 64))
        }
        return Int64(bitPattern: high << 1 | low >> 63)
    }

    /// `⌈n / divisor⌉` for `0 ≤ n ≤ Int64.max − divisor + 1`.
    @inlinable
    func ceilingQuotient(_ n: Int64) -> Int64 {
        self.quotient(n &+ self.divisor &- 1)
    }
}
