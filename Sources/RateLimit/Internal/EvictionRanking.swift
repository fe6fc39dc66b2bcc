/// The running choice of an eviction window: the first examined bucket with the least stored
/// state, and how many occupied slots were examined.
///
/// Both tables rank a window the same way, one slot at a time, with arithmetic rather than a
/// branch on occupancy: under a key flood about half the slots are empty, at random, so a branch
/// mispredicts on most of them. An empty slot ranks as `Int64.max`, which is never full and never
/// chosen, whatever bytes its caller loaded for it.
@usableFromInline
package struct EvictionRanking {
    /// The chosen slot, or -1 before an occupied slot is examined.
    @usableFromInline package var victim = -1
    /// The chosen bucket's stored state; `Int64.max` before an occupied slot is examined.
    @usableFromInline package var victimState = Int64.max
    /// How many occupied slots were examined.
    @usableFromInline package var examined = 0

    @inlinable
    package init() {}

    /// 1 when `low32` (a tag, or an index word's low half) is not 0, else 0, without a branch.
    @inlinable
    @inline(__always)
    package static func occupancy(ofLow32 low32: UInt64) -> UInt64 {
        ((low32 & 0xFFFF_FFFF) &+ 0xFFFF_FFFF) >> 32
    }

    /// All ones when `occupancy` is 1, all zeros when it is 0: selects an occupied slot's value.
    @inlinable
    @inline(__always)
    package static func keepMask(occupancy: UInt64) -> Int64 {
        Int64(bitPattern: 0 &- occupancy)
    }

    /// Ranks `slot`, whose loaded state is `state` (anything, when the slot is empty).
    ///
    /// - Complexity: O(1), no branch.
    @inlinable
    @inline(__always)
    package mutating func consider(slot: Int, state: Int64, occupancy: UInt64) {
        let keep = Self.keepMask(occupancy: occupancy)
        let ranked = (state & keep) | (Int64.max & ~keep)
        self.examined &+= Int(truncatingIfNeeded: occupancy)
        let fewer = ranked < self.victimState
        self.victim = fewer ? slot : self.victim
        self.victimState = fewer ? ranked : self.victimState
    }
}
