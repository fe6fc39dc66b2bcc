import RateLimit
import Testing

@Suite("BucketPolicy")
struct BucketPolicyTests {
    @Test func tutorialPolicy() throws {
        let policy = try BucketPolicy(capacity: 10, refill: 2, every: .seconds(1))
        #expect(policy.capacity == 10)
        #expect(policy.refill == 2)
        #expect(policy.interval == .seconds(1))
        #expect(policy.mode == .smooth)
        #expect(policy.description == "capacity 10, refill 2 every 1 s (smooth)")
    }

    /// (capacity, refill, interval, mode, text the error must contain)
    static let invalid: [(Int, Int, Duration, RefillMode, String)] = [
        (0, 1, .seconds(1), .smooth, "invalid capacity 0: must be in 1...9223372036854775807"),
        (-5, 1, .seconds(1), .smooth, "invalid capacity -5"),
        (10, 0, .seconds(1), .smooth, "invalid refill 0: must be in 1...4294967296"),
        (10, -1, .seconds(1), .stepped, "invalid refill -1"),
        (10, (1 << 32) + 1, .seconds(1), .smooth, "invalid refill 4294967297: must be in 1...4294967296"),
        (10, 1, .zero, .smooth, "must be in 1 ns...9223372036854775807 ns"),
        (10, 1, .seconds(-1), .smooth, "invalid interval"),
        (10, 1, .nanoseconds(1) / 2, .smooth, "must be a whole number of nanoseconds"),
        (10, 1, .seconds(Int64.max), .smooth, "invalid interval"),
        // A window of capacity × interval/refill beyond 2⁶¹ ticks: 73 years × 10 tokens.
        (Int.max, 1, .seconds(1), .smooth, "capacity must be in 1...2305843009"),
        (
            1 << 40, 1 << 10, .seconds(1), .stepped,
            "the time to refill from empty would overflow the 2^61-tick window; capacity must be in 1...2305842176"
        ),
        (
            10, 1 << 20, .seconds(3600), .stepped,
            "one refill spans more than the 2^61-tick window; interval must be in 1 ns...2199023255552 ns"
        ),
    ]

    @Test(arguments: 0..<invalid.count)
    func invalidPoliciesAreRejectedWithTheValueAndTheRange(index: Int) {
        let (capacity, refill, interval, mode, message) = Self.invalid[index]
        #expect {
            _ = try BucketPolicy(capacity: capacity, refill: refill, every: interval, mode: mode)
        } throws: { error in
            guard let error = error as? RateLimitError, error.code == .invalidPolicy else { return false }
            return error.message.contains(message)
        }
    }

    @Test func largestAcceptedValues() throws {
        _ = try BucketPolicy(capacity: 1, refill: 1 << 32, every: .nanoseconds(1))
        _ = try BucketPolicy(capacity: 2_305_843_009, refill: 1, every: .seconds(1))
        _ = try BucketPolicy(capacity: 1, refill: 1, every: .nanoseconds(1 << 61), mode: .stepped)
        _ = try BucketPolicy(capacity: 1, refill: 1, every: .nanoseconds(1 << 61))
        #expect {
            _ = try BucketPolicy(capacity: 1, refill: 4, every: .nanoseconds(1 << 61), mode: .stepped)
        } throws: { error in
            (error as? RateLimitError)?.message.contains("interval must be in 1 ns...576460752303423488 ns") == true
        }
        #expect(throws: RateLimitError.self) {
            _ = try BucketPolicy(capacity: 2_305_843_010, refill: 1, every: .seconds(1))
        }
    }

    @Test func engineConfigurationIsValidated() throws {
        let policy = try BucketPolicy(capacity: 10, refill: 2, every: .seconds(1))
        for maxKeys in [0, -1, (1 << 30) + 1] {
            for engine in RateLimitEngine.allCases {
                #expect {
                    _ = try engine.make(policy: policy, maxKeys: maxKeys, keyType: Int.self)
                } throws: { error in
                    (error as? RateLimitError)?.message == "invalid maxKeys \(maxKeys): must be in 1...1073741824"
                }
            }
        }
        for shards in [0, 3, 1 << 17] {
            #expect {
                _ = try ShardedRateLimiter<Int>(policy: policy, shards: shards)
            } throws: { error in
                (error as? RateLimitError)?.message.hasPrefix(
                    "invalid shards \(shards): must be a power of two in 1...65536") == true
            }
        }
        #expect(throws: RateLimitError.self) { _ = try ShardedRateLimiter<Int>(policy: policy, maxKeys: 4, shards: 8) }
        #expect(try ShardedRateLimiter<Int>(policy: policy, shards: 64).shardCount == 64)
        #expect(try ShardedRateLimiter<Int>(policy: policy, maxKeys: 4, shards: 4).shardCount == 4)
        // The default keeps at least 16 keys per shard, so that keys sharing a shard do not evict
        // each other while the engine has room.
        let perShard = ShardedRateLimiter<Int>.minimumKeysPerDefaultShard
        for maxKeys in [1, 4, 16, 31, 32, 100, 1024, 1 << 20] {
            let shards = try ShardedRateLimiter<Int>(policy: policy, maxKeys: maxKeys).shardCount
            #expect(shards == 1 || maxKeys / shards >= perShard, "maxKeys \(maxKeys): \(shards) shards")
            #expect(shards <= ShardedRateLimiter<Int>.defaultShardCount && shards & (shards - 1) == 0)
            // Halved only as far as needed: twice as many shards would hold too few keys each.
            #expect(
                shards == ShardedRateLimiter<Int>.defaultShardCount || maxKeys / (2 * shards) < perShard,
                "maxKeys \(maxKeys): \(shards) shards")
        }
    }
}
