import Testing

@testable import RateLimit

/// The engines' key hash: a seeded multiply-xorshift for `RateLimitKey` types, SipHash for the
/// rest, and a seed of each instance's own — so keys crafted to collide under one seed do not
/// collide in an engine.
@Suite("Key hashing")
struct KeyHashingTests {
    /// A key type of the caller's: two words.
    struct TenantKey: RateLimitKey {
        var tenant: UInt32
        var user: UInt64

        func rateLimitHash(into hasher: inout RateLimitKeyHasher) {
            hasher.combine(UInt64(self.tenant))
            hasher.combine(self.user)
        }
    }

    @Test func conformingKeysUseTheSeededMixAndTheRestKeepSipHash() {
        let seed: UInt64 = 0x1234_5678_9abc_def0
        var expected = RateLimitKeyHasher(seed: seed)
        expected.combine(42)
        #expect(KeyHashing<Int>(seed: seed).hash(42) == expected.finalize())
        #expect(KeyHashing<UInt64>(seed: seed).hash(42) == expected.finalize())
        var tenant = RateLimitKeyHasher(seed: seed)
        tenant.combine(7)
        tenant.combine(42)
        #expect(KeyHashing<TenantKey>(seed: seed).hash(TenantKey(tenant: 7, user: 42)) == tenant.finalize())
        #expect(KeyHashing<String>(seed: seed).hash("client") == "client".hashValue)
        // Each instance draws its own seed.
        #expect(KeyHashing<Int>().seed != KeyHashing<Int>().seed)
        #expect(KeyHashing<Int>(seed: seed).hash(42) != KeyHashing<Int>(seed: seed ^ 1).hash(42))
    }

    /// `n` keys whose hashes under `seed` share their top 32 bits — one tag, one home slot: what a
    /// client who knew the seed could send. Made by running the mix backwards.
    static func collidingKeys(_ n: Int, seed: UInt64) -> [Int] {
        (0..<n).map { index in
            let hash = 0x5eed_0000_0000 << 16 | UInt64(index)
            return Int(bitPattern: UInt(Self.unmix(hash) ^ seed))
        }
    }

    /// The inverse of `RateLimitKeyHasher.mix`.
    static func unmix(_ value: UInt64) -> UInt64 {
        var x = Self.unshift(value, 31)
        x = Self.unshift(x &* Self.inverse(0x94d0_49bb_1331_11eb), 27)
        return Self.unshift(x &* Self.inverse(0xbf58_476d_1ce4_e5b9), 30)
    }

    /// The inverse of `x ^ (x >> shift)`.
    static func unshift(_ value: UInt64, _ shift: UInt64) -> UInt64 {
        var x = value
        for _ in 0..<(64 / shift + 1) { x = value ^ (x >> shift) }
        return x
    }

    /// The inverse of an odd number modulo 2⁶⁴ (Newton's iteration doubles the correct bits).
    static func inverse(_ odd: UInt64) -> UInt64 {
        var inverse = odd
        for _ in 0..<6 { inverse = inverse &* (2 &- odd &* inverse) }
        return inverse
    }

    @Test func craftedKeysCollideUnderTheSeedTheyWereMadeFor() throws {
        let seed: UInt64 = 0xdead_beef_cafe_f00d
        let keys = Self.collidingKeys(4096, seed: seed)
        let hashing = KeyHashing<Int>(seed: seed)
        #expect(Set(keys.map { HashTag.tag(hashing.hash($0)) }).count == 1)
        // In a table, with that seed: one run, walked in full by the last key.
        let policy = try BucketPolicy(capacity: 10, refill: 1, every: .seconds(1))
        var table = BucketTable<Int>(maxKeys: 8192, epoch: 0)
        for key in keys {
            _ = table.apply(
                Acquisition(cost: 1), to: key, hash: hashing.hash(key), now: 0, arithmetic: policy.arithmetic)
        }
        #expect(table.longestProbe == keys.count - 1)
    }

    /// The same keys in the engines, which draw their own seeds: probes stay short.
    ///
    /// The bound, for a seeded mix that behaves as a random function of the key: linear probing
    /// at a load α ≤ 3/4 (the tables grow before it is passed) displaces a key by d or more only
    /// if some window of L > d slots is the home of L keys; for one window start that has
    /// probability ≤ e^{L(1 + ln α − α)} ≤ e^{−0.0377 L} (Chernoff), and summed over m ≤ 16,384
    /// starts and every L > 1,000 it is below 10⁻¹⁰. The crafted keys under their own seed walk
    /// 4,095.
    @Test(arguments: RateLimitEngine.allCases)
    func craftedKeysDoNotCollideInAnEngine(engine: RateLimitEngine) throws {
        let keys = Self.collidingKeys(4096, seed: 0xdead_beef_cafe_f00d)
        let policy = try BucketPolicy(capacity: 10, refill: 1, every: .seconds(1))
        let longest: Int
        let seed: UInt64
        switch engine {
        case .mutex:
            let limiter = try MutexRateLimiter<Int>(policy: policy, maxKeys: 8192)
            for key in keys { _ = limiter.acquire(key) }
            #expect(limiter.statistics.trackedKeys == keys.count)
            longest = limiter.longestProbe
            seed = limiter.hashing.seed
        case .atomic:
            let limiter = try AtomicRateLimiter<Int>(policy: policy, maxKeys: 8192)
            for key in keys { _ = limiter.acquire(key) }
            #expect(limiter.statistics.trackedKeys == keys.count)
            longest = limiter.longestProbe
            seed = limiter.hashing.seed
        case .sharded:
            let limiter = try ShardedRateLimiter<Int>(policy: policy, maxKeys: 8192)
            for key in keys { _ = limiter.acquire(key) }
            longest = limiter.longestProbe
            seed = limiter.hashing.seed
        }
        // The seed, to reproduce a failure: `KeyHashing(seed:)`.
        #expect(longest <= 1000, "\(engine) with hash seed \(seed): a probe walks \(longest) slots")
    }
}
