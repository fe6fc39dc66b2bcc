import Dispatch
import NIOConcurrencyHelpers
import NIOPosix
import RateLimit
import RateLimitTesting
import Testing

@testable import RateLimitRedis
@testable import RedisClient

/// Two limiter instances — separate connection pools, separate event loops, as two service
/// instances would have — share one Redis: hammered concurrently, together they admit exactly
/// what one instance would.
@Suite("Two instances, one limit", .enabled(if: RedisServer.isEnabled), .serialized, .timeLimit(.minutes(5)))
struct MultiInstanceTests {
    @Test("Redis time: the combined admitted count is exactly the capacity", arguments: [RefillMode.smooth, .stepped])
    func redisTime(mode: RefillMode) async throws {
        let server = try await RedisServer()
        // One token per hour: nothing is earned back during the test, so the bound is exact.
        let policy = try BucketPolicy(capacity: 250, refill: 1, every: .seconds(3600), mode: mode)
        let otherGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let first = try makeLimiter(server, policy, prefix: "shared:") { $0.poolSize = 2 }
        var configuration = server.configuration(prefix: "shared:")
        configuration.poolSize = 3
        let second = try RedisRateLimiter<String>(
            policy: policy, configuration: configuration, failurePolicy: .throwError, eventLoopGroup: otherGroup,
            logger: quietLogger)
        let keys = 4
        let admitted = try await withThrowingTaskGroup(of: [Int].self) { group in
            for task in 0..<32 {
                let limiter = task % 2 == 0 ? first : second
                group.addTask {
                    var admitted = Array(repeating: 0, count: keys)
                    for attempt in 0..<150 {
                        let key = (attempt + task) % keys
                        if try await limiter.acquire("client-\(key)").isAllowed { admitted[key] += 1 }
                    }
                    return admitted
                }
            }
            var total = Array(repeating: 0, count: keys)
            for try await counts in group {
                for key in 0..<keys { total[key] += counts[key] }
            }
            return total
        }
        #expect(
            admitted == Array(repeating: 250, count: keys),
            "\(mode): admitted per key \(admitted), expected exactly 250 each")
        await first.shutdown()
        await second.shutdown()
        await Self.shutDown(otherGroup)
    }

    @Test(
        "frozen Redis time, random costs: admitted tokens plus what is left equals the capacity",
        arguments: [RefillMode.smooth, .stepped])
    func frozenTimeRandomCosts(mode: RefillMode) async throws {
        let server = try await RedisServer()
        // A fast refill, but the scripted clock does not move: only the capacity can be admitted.
        let policy = try BucketPolicy(capacity: 500, refill: 1000, every: .seconds(1), mode: mode)
        let first = try makeLimiter(server, policy, prefix: "frozen:")
        let second = try makeLimiter(server, policy, prefix: "frozen:")
        let now: Int64 = 42 * sUs
        let (unitCount, costSum) = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for task in 0..<24 {
                let limiter = task % 2 == 0 ? first : second
                group.addTask {
                    var random = SplitMix64(seed: UInt64(task))
                    var units = 0
                    var tokens = 0
                    for _ in 0..<120 {
                        // Key "unit" takes 1 token at a time, key "mixed" 1 to 5.
                        if try await limiter.acquire("unit", cost: 1, atMicroseconds: now).decision.isAllowed {
                            units += 1
                        }
                        let cost = Int(random.next() % 5) + 1
                        if try await limiter.acquire("mixed", cost: cost, atMicroseconds: now).decision.isAllowed {
                            tokens += cost
                        }
                    }
                    return (units, tokens)
                }
            }
            var total = (0, 0)
            for try await (units, tokens) in group {
                total.0 += units
                total.1 += tokens
            }
            return total
        }
        #expect(unitCount == 500, "\(mode): admitted \(unitCount) unit requests, expected exactly 500")
        let left = try await first.acquire("mixed", cost: 0, atMicroseconds: now).decision.remaining
        #expect(
            costSum + left == 500,
            "\(mode): admitted \(costSum) tokens and \(left) are left; together exactly 500 expected")
        #expect(left < 5, "\(mode): \(left) tokens left although requests of 1 to 5 kept coming")
        await first.shutdown()
        await second.shutdown()
    }

    /// real-clock-saturation, on Redis's clock: two instances keep one key saturated for 1.5 s.
    /// The script reports the time of every decision, so the bounds come from Redis's own clock:
    /// never more than the capacity plus the refill earned between the first and the last
    /// decision; and at least that, less one refill's worth (smooth) or one step (stepped), less
    /// what can have overflowed a full bucket during pauses in the demand and what was left in it
    /// at the end (a busy test machine or ThreadSanitizer can stall every caller for longer than
    /// the bucket takes to fill).
    @Test(
        "real-clock saturation on Redis time: admitted within the exact bound",
        arguments: [RefillMode.smooth, .stepped])
    func realClockSaturation(mode: RefillMode) async throws {
        let server = try await RedisServer()
        let policy = try BucketPolicy(capacity: 200, refill: 100, every: .milliseconds(100), mode: mode)
        let interval: Int64 = 100_000 // µs
        let first = try makeLimiter(server, policy, prefix: "saturated:")
        let second = try makeLimiter(server, policy, prefix: "saturated:")
        let end = ContinuousClock.now + .milliseconds(1500)
        // (Redis time in µs, tokens left after the decision, admitted)
        let decisions = try await withThrowingTaskGroup(of: [(Int64, Int, Bool)].self) { group in
            for task in 0..<16 {
                let limiter = task % 2 == 0 ? first : second
                group.addTask {
                    var decisions: [(Int64, Int, Bool)] = []
                    while ContinuousClock.now < end {
                        let (decision, used) = try await limiter.acquireReportingTime("hot", cost: 1)
                        #expect((0...policy.capacity).contains(decision.remaining))
                        decisions.append((used, decision.remaining, decision.isAllowed))
                    }
                    return decisions
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let admitted = decisions.filter(\.2).count
        let times = decisions.map(\.0)
        let span = (times.max() ?? 0) - (times.min() ?? 0)
        let upper = mode == .smooth ? 200 + Int(span * 100 / interval) : 200 + Int(span / interval) * 100
        // Tokens that can have overflowed: after the last decision at time t (with R left, the
        // most any decision at t reported), the bucket earns at most gap·rate (+ one step) before
        // the next decision, and loses what exceeds the capacity.
        let byTime = Dictionary(decisions.map { ($0.0, $0.1) }, uniquingKeysWith: max).sorted { $0.key < $1.key }
        var overflow = 0.0
        for (current, next) in zip(byTime, byTime.dropFirst()) {
            let earned = Double(next.key - current.key) * 100 / Double(interval) + (mode == .stepped ? 100 : 0)
            overflow += max(0, Double(current.value) + earned - 200)
        }
        // And tokens still in the bucket after the last decision were earned but not taken.
        let left = byTime.last?.value ?? 0
        let lower = upper - 100 - Int(overflow.rounded(.up)) - left
        #expect(
            admitted <= upper, "\(mode): admitted \(admitted) over \(span) µs of Redis time; at most \(upper) possible")
        #expect(
            admitted >= lower,
            "\(mode): admitted \(admitted) over \(span) µs of Redis time; at least \(lower) expected (\(Int(overflow)) may have overflowed, \(left) left)"
        )
        await first.shutdown()
        await second.shutdown()
    }

    /// `shutdownGracefully()`, with the hand-off made visible to ThreadSanitizer (see
    /// `EventLoopFuture.handedOffValue()`).
    private static func shutDown(_ group: MultiThreadedEventLoopGroup) async {
        let handOff = NIOLock()
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            group.shutdownGracefully(queue: .global()) { _ in
                handOff.withLock { continuation.resume() }
            }
        }
        handOff.withLock {}
    }
}
