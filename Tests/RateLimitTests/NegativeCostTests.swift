import RateLimit
import Testing

/// A negative cost is a programming error: the synchronous API traps with a message before
/// touching state; the async API throws instead and leaves the bucket as it was.
@Suite("Negative cost")
struct NegativeCostTests {
    @Test(arguments: RateLimitEngine.allCases)
    func asyncAcquireThrowsAndChangesNothing(engine: RateLimitEngine) async throws {
        let limiter = try engine.make(
            policy: try BucketPolicy(capacity: 10, refill: 2, every: .seconds(1)), clock: ManualClock(),
            keyType: String.self)
        // In an async context `acquire` resolves to the async, throwing form.
        _ = try await limiter.acquire("a", cost: 4)
        await #expect {
            _ = try await limiter.acquire("a", cost: -1)
        } throws: { error in
            (error as? RateLimitError)?.message.hasPrefix("invalid cost -1: must be in 0...9223372036854775807") == true
        }
        #expect(try await limiter.acquire("a", cost: 0).remaining == 6)
        let viaAsync = try await limiter.acquire("a", cost: 1)
        #expect(viaAsync.remaining == 5)
    }

    @Test(arguments: RateLimitEngine.allCases)
    func synchronousAcquireTrapsWithAMessage(engine: RateLimitEngine) async throws {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            [engine = engine as RateLimitEngine] in
            let limiter = try engine.make(
                policy: try BucketPolicy(capacity: 10, refill: 2, every: .seconds(1)), keyType: Int.self)
            _ = limiter.acquireSynchronously(1, cost: -1)
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains("invalid cost -1: must be in 0...9223372036854775807"), "stderr: \(stderr)")
    }
}
