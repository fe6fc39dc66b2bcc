/// How the tables split a key's 64-bit hash.
///
/// - The **tag** is the top 32 bits, never zero (zero marks an empty slot). Slots store it so a
///   probe rejects most non-matching slots without touching the key.
/// - The **home slot** is the tag masked to the table size, so tables can move and rehash
///   entries from the tag alone, without hashing keys again.
/// - The **shard** (``ShardedRateLimiter``) comes from the low bits, independent of both.
@usableFromInline
package enum HashTag {
    @inlinable
    package static func tag(_ hash: Int) -> UInt32 {
        let tag = UInt32(truncatingIfNeeded: UInt64(bitPattern: Int64(hash)) >> 32)
        return tag == 0 ? 1 : tag
    }

    @inlinable
    package static func home(_ tag: UInt32, mask: Int) -> Int {
        Int(tag) & mask
    }

    /// How many slots past its home slot an entry of `tag` sits at `slot`: what a probe for it
    /// walks. Tables report their longest (`longestProbe`) so that tests can bound it.
    static func displacement(slot: Int, tag: UInt32, mask: Int) -> Int {
        (slot &- self.home(tag, mask: mask)) & mask
    }

    /// The number of slots a table needs so that `maxKeys` entries keep the load at or below 3/4.
    static func slotLimit(forKeys maxKeys: Int) -> Int {
        let needed = (maxKeys * 4 + 2) / 3
        var slots = 2
        while slots < needed { slots <<= 1 }
        return slots
    }
}
