/// How one engine instance hashes its keys: with ``RateLimitKeyHasher`` under a random seed for
/// ``RateLimitKey`` types, with `hashValue` (SipHash) for the rest.
///
/// Whether `Key` conforms is found once, at creation; a decision then costs, for an `Int` key in a
/// specialised engine, the mix inlined (the `Key.self == Int.self` test folds away); for another
/// conforming type, one unspecialised generic call and the conformance's witness; for any other
/// type, `hashValue` as before.
@usableFromInline
struct KeyHashing<Key: Hashable>: Sendable {
    /// The instance's seed: random unless a test fixes it.
    @usableFromInline let seed: UInt64
    /// `Key`'s conformance to ``RateLimitKey``, if it has one.
    @usableFromInline let keyType: (any RateLimitKey.Type)?

    /// - Parameter seed: For tests that need to know which keys collide; `nil` draws one from the
    ///   system's random number generator.
    @usableFromInline
    init(seed: UInt64? = nil) {
        var generator = SystemRandomNumberGenerator()
        self.seed = seed ?? generator.next()
        // The conformance of `Key` itself: a metatype cast neither unwraps nor looks at subclasses,
        // but the identity check makes `hash(_:as:seed:)`'s reinterpretation safe by construction.
        let keyType = Key.self as? any RateLimitKey.Type
        self.keyType = keyType.flatMap { ObjectIdentifier($0) == ObjectIdentifier(Key.self) ? $0 : nil }
    }

    /// The hash of `key`: tag and home slot from its top 32 bits, shard from its low bits.
    @inlinable
    func hash(_ key: Key) -> Int {
        if Key.self == Int.self {
            // Folds to the inlined mix in an engine specialised for `Int`, the commonest key.
            var hasher = RateLimitKeyHasher(seed: self.seed)
            unsafeBitCast(key, to: Int.self).rateLimitHash(into: &hasher)
            return hasher.finalize()
        }
        if let keyType = self.keyType {
            return Self.hash(key, as: keyType, seed: self.seed)
        }
        return key.hashValue
    }

    /// `key` hashed as the conforming type it is (`K` is `Key`, found at creation).
    @usableFromInline
    static func hash<K: RateLimitKey>(_ key: Key, as _: K.Type, seed: UInt64) -> Int {
        assert(K.self == Key.self)
        var hasher = RateLimitKeyHasher(seed: seed)
        unsafeBitCast(key, to: K.self).rateLimitHash(into: &hasher)
        return hasher.finalize()
    }
}
