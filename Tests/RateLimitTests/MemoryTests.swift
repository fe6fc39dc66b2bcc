import RateLimit
import RateLimitTesting
import Testing

/// Bytes per tracked key, measured as the growth of resident memory while one engine tracks one
/// million `Int` keys. Each measurement runs in a fresh child process (an exit test), so no other
/// test's memory — nor memory the allocator kept from an earlier test — disturbs it. The figure is
/// printed, and must stay within the bound the documentation states.
@Suite("Memory")
struct MemoryTests {
    /// The bounds the README and the engines' documentation state, in bytes per `Int` key.
    static func documentedBound(_ engine: RateLimitEngine) -> Int {
        switch engine {
        case .mutex, .sharded: 56
        case .atomic: 40
        }
    }

    @Test(arguments: RateLimitEngine.allCases)
    func bytesPerKeyAtOneMillionKeys(engine: RateLimitEngine) async throws {
        let result = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            [engine = engine as RateLimitEngine] in
            let keys = 1_000_000
            let policy = try BucketPolicy(capacity: 10, refill: 1, every: .seconds(3600))
            let before = ResidentMemory.bytes() ?? 0
            let limiter = try engine.make(policy: policy, maxKeys: keys, clock: ManualClock(), keyType: Int.self)
            for key in 0..<keys {
                precondition(limiter.acquireSynchronously(key).isAllowed)
            }
            let after = ResidentMemory.bytes() ?? 0
            // The sharded engine caps each shard at maxKeys / shards, so a few keys of a random
            // distribution are evicted from the fullest shards: divide by what is tracked.
            let tracked = limiter.statistics.trackedKeys
            print("tracked \(tracked) resident-growth \(after - before)")
            withExtendedLifetime(limiter) {}
        }
        let output = String(decoding: try #require(result).standardOutputContent, as: UTF8.self)
        let numbers = output.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Int($0) }
        try #require(numbers.count == 2, "child printed: \(output)")
        let (tracked, growth) = (numbers[0], numbers[1])
        #expect(tracked > 990_000, "\(engine) tracks only \(tracked) of 1,000,000 keys")
        let tenths = growth * 10 / max(tracked, 1)
        print(
            "bytes-per-key \(engine) \(tenths / 10).\(tenths % 10) (\(tracked) keys, resident growth \(growth) bytes)")
        #expect(
            tenths > 0 && tenths <= Self.documentedBound(engine) * 10,
            "\(engine): \(tenths / 10).\(tenths % 10) bytes per key; documented bound \(Self.documentedBound(engine))")
    }
}
