/// SplitMix64 (Steele, Lea and Flood, 2014): a tiny, fast, seedable generator, so that a failing
/// random sequence or a benchmark's key stream can be replayed exactly from its seed.
///
/// Not for anything an attacker could predict to their advantage: it is a test and benchmark
/// generator, not a secure one.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose sequence is determined by `seed`.
    public init(seed: UInt64) {
        self.state = seed
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
