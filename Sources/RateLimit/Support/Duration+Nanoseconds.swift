extension Duration {
    /// The duration in whole nanoseconds, any sub-nanosecond part truncated toward zero.
    ///
    /// Exact for every `Duration`: its range (±2⁶³ s) fits in `Int128` nanoseconds.
    @inlinable
    package var totalNanoseconds: Int128 {
        let (seconds, attoseconds) = self.components
        return Int128(seconds) * 1_000_000_000 + Int128(attoseconds / 1_000_000_000)
    }

    /// The duration as `Int64` nanoseconds, or `nil` when it has a sub-nanosecond part or does
    /// not fit in `Int64`: what a validating initialiser wants, so that nothing is rounded or
    /// clamped silently.
    @inlinable
    package var wholeNanoseconds: Int64? {
        guard self.components.attoseconds % 1_000_000_000 == 0 else { return nil }
        return Int64(exactly: self.totalNanoseconds)
    }

    /// The duration in `Int64` nanoseconds, sub-nanosecond parts truncated, saturating at
    /// `Int64.min` and `Int64.max`: for deadlines and measured intervals, never for validating
    /// user input.
    @inlinable
    package var saturatingNanoseconds: Int64 {
        Int64(clamping: self.totalNanoseconds)
    }
}
