/// The seeded hash the engines use for ``RateLimitKey`` types: each 64-bit word is XORed into
/// the state, which is then mixed by SplitMix64's finaliser (two multiply-xorshift rounds, a
/// bijection of 64 bits with full avalanche).
///
/// The state starts at the engine's random seed, so which keys share a table's home slot is
/// different in every engine instance. Distinct single-word keys never collide in all 64 bits
/// (the mix is a bijection); the tables use the top 32 bits for their tag and home slot and the
/// low bits for the shard. Not a cryptographic hash: see ``RateLimitKey`` for what the seed does
/// and does not promise.
///
/// - Complexity: O(1) per word: two multiplications, three shifts, four XORs.
public struct RateLimitKeyHasher {
    @usableFromInline var state: UInt64

    /// A hasher seeded with `seed`: the engines draw it at random, once per instance. Public so
    /// that a conformance's tests can hash keys as the engines do.
    @inlinable
    public init(seed: UInt64) {
        self.state = seed
    }

    /// Mixes one word of the key into the hash.
    @inlinable
    public mutating func combine(_ word: UInt64) {
        self.state = Self.mix(self.state ^ word)
    }

    /// Mixes a variable-length part of the key (a name, a string) with the standard library's
    /// SipHash, seeded per process, then into this hash: strong where the input is long and
    /// chosen by a client.
    @inlinable
    public mutating func combine(strongly value: some Hashable) {
        self.combine(UInt64(UInt(bitPattern: value.hashValue)))
    }

    /// The hash of the words combined so far, as the engines use it.
    @inlinable
    public func finalize() -> Int {
        Int(Int64(bitPattern: self.state))
    }

    /// SplitMix64's finaliser (Steele, Lea and Flood 2014; the constants are Stafford's Mix13).
    @inlinable
    package static func mix(_ value: UInt64) -> UInt64 {
        var x = value
        x = (x ^ (x >> 30)) &* 0xbf58_476d_1ce4_e5b9
        x = (x ^ (x >> 27)) &* 0x94d0_49bb_1331_11eb
        return x ^ (x >> 31)
    }
}
