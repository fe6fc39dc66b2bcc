/// A key the engines hash with a few multiplications instead of SipHash: fixed-width keys such as
/// integers and addresses.
///
/// Every engine hashes a key once per decision. For a key of any `Hashable` type that is
/// `hashValue` — SipHash-1-3, 6–8 ns for an `Int` on the machine the benchmarks ran on, a
/// tenth of a decision. A type that conforms here instead feeds its bits to a
/// ``RateLimitKeyHasher``, which mixes each 64-bit word with a multiply-xorshift under a seed
/// that every engine instance draws at random. The seed matters: keys are chosen by clients, and
/// keys crafted to collide under a known hash would make every probe of an open-addressing
/// table walk one long run. It is a fast randomised hash, not a cryptographic one (the same
/// standard as Rust's foldhash or aHash): which keys collide depends on a seed a client never
/// sees, but the mix itself is public and has not been analysed as a keyed function. Where that
/// is not enough, key the engine by a type that does not conform (a wrapper struct around the
/// key), and it hashes with SipHash.
///
/// Conform a type whose identity is a few machine words. Feed *every* word that `==` compares
/// (keys that are equal must feed the same words; keys that differ should differ in at least one),
/// and feed variable-length parts, such as strings, with
/// ``RateLimitKeyHasher/combine(strongly:)``, which keeps SipHash for them: a multiply-xorshift
/// over attacker-chosen bytes is not a keyed hash.
///
/// ```swift
/// struct TenantKey: RateLimitKey {
///     var tenant: UInt32
///     var user: UInt64
///
///     func rateLimitHash(into hasher: inout RateLimitKeyHasher) {
///         hasher.combine(UInt64(self.tenant))
///         hasher.combine(self.user)
///     }
/// }
/// ```
///
/// The engines find the conformance once, when they are created, so a conformance declared in
/// any module of the process applies to every engine keyed by that type. For `Int` keys the mix is
/// inlined into a specialised engine's decision; other conforming types cost one generic call
/// that reaches the conformance through its witness table (about 2 ns more than `Int`, still less
/// than SipHash).
public protocol RateLimitKey: Hashable, Sendable {
    /// Feeds the key's words to `hasher`.
    func rateLimitHash(into hasher: inout RateLimitKeyHasher)
}

extension Int: RateLimitKey {
    @inlinable
    public func rateLimitHash(into hasher: inout RateLimitKeyHasher) {
        hasher.combine(UInt64(UInt(bitPattern: self)))
    }
}

extension UInt: RateLimitKey {
    @inlinable
    public func rateLimitHash(into hasher: inout RateLimitKeyHasher) {
        hasher.combine(UInt64(self))
    }
}

extension Int64: RateLimitKey {
    @inlinable
    public func rateLimitHash(into hasher: inout RateLimitKeyHasher) {
        hasher.combine(UInt64(bitPattern: self))
    }
}

extension UInt64: RateLimitKey {
    @inlinable
    public func rateLimitHash(into hasher: inout RateLimitKeyHasher) {
        hasher.combine(self)
    }
}

extension Int32: RateLimitKey {
    @inlinable
    public func rateLimitHash(into hasher: inout RateLimitKeyHasher) {
        hasher.combine(UInt64(UInt32(bitPattern: self)))
    }
}

extension UInt32: RateLimitKey {
    @inlinable
    public func rateLimitHash(into hasher: inout RateLimitKeyHasher) {
        hasher.combine(UInt64(self))
    }
}
