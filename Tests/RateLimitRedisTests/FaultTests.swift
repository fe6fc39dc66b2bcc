import Foundation
import MetricsTestKit
import RateLimit
import RateLimitTesting
import RedisTestSupport
import Synchronization
import Testing

@testable import RateLimitRedis
@testable import RedisClient

/// Redis failing in the ways it does in production — killed, restarted, its script cache
/// flushed, stalled — while the limiter is under load. Every failure policy behaves as
/// documented, nothing crashes, and no decision waits on Redis past its command timeout.
///
/// Nothing here is timed with a stopwatch: a continuation can wait for a cooperative thread for
/// as long as another suite holds one, so a wall-clock bound short of the time limit is not sound.
/// How long a decision waited shows in why it ended — the counted reason (`timeout` or
/// `connection`) and who answered (Redis or the failure policy) — and waits for progress use
/// `pollUntil`, bounded by the suite's time limit.
@Suite("Faults", .enabled(if: RedisServer.isEnabled), .serialized, .timeLimit(.minutes(2)))
struct FaultTests {
    enum Kind: String, CaseIterable, Sendable {
        case open, closed, fallback, error
    }

    private struct Outcome: Sendable {
        /// Started after the server was dead.
        let afterKill: Bool
        /// Finished before the kill began: Redis must have decided.
        let beforeKill: Bool
        let key: Int
        let result: Result<RateLimitDecision, RateLimitError>
    }

    /// The command timeout is longer than the suite's time limit, so no decision can end by it:
    /// Redis decides every request before the kill, and after it the failure policy decides each
    /// one as soon as the pool knows the connection is gone (reason `connection`, never `timeout`).
    @Test(
        "Redis killed mid-load: the failure policy decides without waiting; restarted: decisions resume",
        arguments: Kind.allCases)
    func killedAndRestarted(kind: Kind) async throws {
        let server = try await RedisServer()
        let policy = try BucketPolicy(capacity: 5, refill: 1, every: .seconds(3600))
        let metrics = TestMetrics()
        let fallbackEngine = try MutexRateLimiter<String>(policy: policy)
        let failurePolicy: RedisFailurePolicy<String> =
            switch kind {
            case .open: .failOpen
            case .closed: .failClosed
            case .fallback: .fallback(fallbackEngine)
            case .error: .throwError
            }
        var configuration = server.configuration(prefix: "fault:")
        configuration.commandTimeout = .seconds(600)
        configuration.connectTimeout = .seconds(600)
        configuration.minimumReconnectDelay = .milliseconds(20)
        configuration.maximumReconnectDelay = .milliseconds(200)
        let logs = CapturedLogs()
        let limiter = try RedisRateLimiter<String>(
            policy: policy, configuration: configuration, failurePolicy: failurePolicy, logger: logs.logger,
            metricsFactory: metrics
        )
        try await limiter.waitUntilConnected()

        let killing = Flag()
        let killed = Flag()
        let stop = Flag()
        let completed = SharedCount()
        let (outcomes, unavailableBeforeKill) = await withTaskGroup(of: [Outcome].self) { group in
            for task in 0..<8 {
                group.addTask {
                    var outcomes: [Outcome] = []
                    var attempt = 0
                    while !stop.isSet {
                        let key = (task * 7 + attempt) % 10
                        attempt += 1
                        let afterKill = killed.isSet
                        let result: Result<RateLimitDecision, RateLimitError>
                        do {
                            result = .success(try await limiter.acquire("k\(key)"))
                        } catch let error as RateLimitError {
                            result = .failure(error)
                        } catch {
                            result = .failure(
                                RateLimitError(code: .invalidConfiguration, message: "unexpected error type: \(error)"))
                        }
                        completed.increment()
                        outcomes.append(
                            Outcome(afterKill: afterKill, beforeKill: !killing.isSet, key: key, result: result))
                        if attempt % 8 == 0 { try? await Task.sleep(for: .milliseconds(1)) }
                    }
                    return outcomes
                }
            }
            // Kill once Redis has decided a good number of requests; stop once as many more are
            // decided after the kill. Of the first 100, at most the 8 in flight finish after
            // `killing` is set, so more than 20 finish before it; likewise after `killed`.
            _ = await pollUntil { completed.current >= 100 }
            let unavailableBeforeKill = metrics.counterTotal(label: "ratelimit_redis_unavailable_total")
            killing.set()
            server.kill()
            killed.set()
            let dead = completed.current
            _ = await pollUntil { completed.current >= dead + 100 }
            stop.set()
            var all: [Outcome] = []
            for await outcomes in group { all += outcomes }
            return (all, unavailableBeforeKill)
        }

        let before = outcomes.filter(\.beforeKill)
        let after = outcomes.filter(\.afterKill)
        #expect(
            before.count > 20 && after.count > 20,
            "\(kind): \(before.count) requests before the kill, \(after.count) after")
        // Before the kill Redis decides everything (its timeout cannot pass): nothing fails over
        // to the failure policy, no answer is one of its (fail open's full bucket, fail closed's
        // 1 s wait), nothing throws.
        let failurePolicyAnswer = { (decision: RateLimitDecision) in
            decision.isAllowed ? decision.remaining == 5 : decision.retryAfterNanoseconds == s
        }
        let notFromRedis = before.filter { outcome in (try? outcome.result.get()).map(failurePolicyAnswer) ?? true }
        #expect(
            unavailableBeforeKill == 0 && notFromRedis.isEmpty,
            "\(kind): before the kill, \(unavailableBeforeKill) decisions counted as unavailable, \(notFromRedis.count) of \(before.count) not Redis's: \(notFromRedis.prefix(3).map(\.result))"
        )

        switch kind {
        case .open:
            let decisions = after.compactMap { try? $0.result.get() }
            #expect(
                decisions.count == after.count && decisions.allSatisfy { $0.isAllowed && $0.remaining == 5 },
                "fail open must allow everything")
        case .closed:
            let decisions = after.compactMap { try? $0.result.get() }
            #expect(decisions.count == after.count, "fail closed must not throw")
            #expect(
                decisions.allSatisfy { !$0.isAllowed && $0.retryAfterNanoseconds == s && $0.remaining == 0 },
                "fail closed must deny with retryAfter 1 s")
        case .fallback:
            // Fresh local buckets of 5 tokens: requests that failed around the kill may have
            // used some already, so after it each key admits at most 5 — and the fallback's
            // bucket ends empty for every key tried often enough.
            var admitted = [Int: Int]()
            var attempts = [Int: Int]()
            for outcome in after {
                let decision = try #require(try? outcome.result.get(), "the fallback must not throw")
                attempts[outcome.key, default: 0] += 1
                if decision.isAllowed { admitted[outcome.key, default: 0] += 1 }
            }
            for (key, count) in attempts where count >= 5 {
                #expect(
                    admitted[key, default: 0] <= 5,
                    "key \(key): the fallback admitted \(admitted[key] ?? 0) of \(count)")
                #expect(
                    try fallbackEngine.checkedAcquire("k\(key)", cost: 0).remaining == 0,
                    "key \(key): the fallback bucket was not drained")
            }
        case .error:
            for outcome in after {
                guard case .failure(let error) = outcome.result else {
                    Issue.record("a request after the kill returned a decision under throwError")
                    break
                }
                #expect(error.code == .unavailable && error.message.hasPrefix("Redis unavailable"), "\(error)")
            }
        }
        let unavailable = { (reason: String) in metrics.unavailable(reason, policy: kind.rawValue) }
        #expect(
            unavailable("connection") >= Int64(after.count) && unavailable("timeout") == 0,
            "\(kind): \(unavailable("connection")) decisions counted as a lost connection and \(unavailable("timeout")) as a timeout, \(after.count) made after the kill"
        )
        #expect(
            logs.messages(at: .warning).contains { $0.hasPrefix("Redis is unavailable") }, "the outage was not logged")

        // Restart on the same port: an empty server, without the script. Decisions come back from
        // Redis on their own, and the new connections loaded the script.
        try await server.start()
        var first: RateLimitDecision?
        let resumed = await pollUntil {
            first = try? await limiter.acquireReportingTime("after-restart", cost: 1).0
            return first != nil
        }
        #expect(resumed, "\(kind): decisions did not come back from Redis after the restart")
        #expect(first?.isAllowed == true && first?.remaining == 4, "\(kind): \(String(describing: first))")
        #expect(try await server.command(["SCRIPT", "EXISTS", RedisBucketScript.sha1]) == .array([.integer(1)]))
        let decision = try await limiter.acquire("after-restart")
        #expect(decision.isAllowed && decision.remaining == 3, "\(kind): \(decision)")
        #expect(
            logs.messages(at: .notice).contains { $0.hasPrefix("Redis is available again") },
            "the recovery was not logged")
        #expect(metrics.counterTotal(label: "ratelimit_redis_connections_opened_total") > Int64(configuration.poolSize))
        await limiter.shutdown()
    }

    @Test("SCRIPT FLUSH mid-run: scripts reload transparently, no decision is lost or doubled")
    func scriptFlush() async throws {
        let server = try await RedisServer()
        let policy = try BucketPolicy(capacity: 400, refill: 1, every: .seconds(3600))
        let metrics = TestMetrics()
        let limiter = try RedisRateLimiter<String>(
            policy: policy,
            configuration: server.configuration(prefix: "flush:"),
            failurePolicy: .throwError,
            logger: quietLogger,
            metricsFactory: metrics
        )
        try await limiter.waitUntilConnected()
        let admitted = try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask {
                for _ in 0..<10 {
                    #expect(try await server.command(["SCRIPT", "FLUSH"]) == .simpleString("OK"))
                    try await Task.sleep(for: .milliseconds(15))
                }
                return 0
            }
            for _ in 0..<8 {
                group.addTask {
                    var admitted = 0
                    for _ in 0..<100 {
                        if try await limiter.acquire("hot").isAllowed { admitted += 1 }
                    }
                    return admitted
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(admitted == 400, "admitted \(admitted) of 800 with a capacity of 400")
        #expect(metrics.counterTotal(label: "ratelimit_redis_script_reloads_total") >= 1)
        #expect(metrics.counterTotal(label: "ratelimit_redis_unavailable_total") == 0)
        await limiter.shutdown()
    }

    /// A decision that meets a stalled Redis ends by its timeout, with the failure policy's answer
    /// (retry after exactly 2 s), never with Redis's answer after the stall: a limiter that waited
    /// past its deadline would never give the former while Redis sleeps.
    @Test("slow Redis (DEBUG SLEEP): decisions end by the command timeout, then Redis resumes")
    func slowRedis() async throws {
        let server = try await RedisServer()
        let policy = try BucketPolicy(capacity: 10, refill: 1, every: .seconds(1))
        let metrics = TestMetrics()
        var configuration = server.configuration(prefix: "slow:")
        configuration.commandTimeout = .milliseconds(200)
        configuration.minimumReconnectDelay = .milliseconds(20)
        configuration.maximumReconnectDelay = .milliseconds(100)
        let limiter = try RedisRateLimiter<String>(
            policy: policy, configuration: configuration, failurePolicy: .failClosed(retryAfter: .seconds(2)),
            logger: quietLogger, metricsFactory: metrics
        )
        try await limiter.waitUntilConnected()
        let failedClosed = { (decision: RateLimitDecision) in
            !decision.isAllowed && decision.retryAfterNanoseconds == 2 * s
        }
        // Redis's own answers: allowed, or a wait of at most the 1 s a token takes.
        let fromRedis = { (decision: RateLimitDecision) in decision.retryAfterNanoseconds < 2 * s }
        var decision = try await limiter.acquire("k")
        #expect(failedClosed(decision) || fromRedis(decision), "\(decision)")

        // Put Redis to sleep and ask until a decision meets the sleep; on a machine slow enough
        // that every decision misses it, sleep again.
        func sleep() -> (task: Task<RESPValue, any Error>, done: Flag) {
            let done = Flag()
            let task = Task {
                defer { done.set() }
                return try await server.command(["DEBUG", "SLEEP", "1.5"])
            }
            return (task, done)
        }
        var sleeper = sleep()
        let metSleep = try await pollUntil(every: .milliseconds(10)) {
            decision = try await limiter.acquire("k")
            #expect(failedClosed(decision) || fromRedis(decision), "neither the failure policy's answer nor Redis's")
            if failedClosed(decision) { return true }
            if sleeper.done.isSet {
                #expect(try await sleeper.task.value == .simpleString("OK"))
                sleeper = sleep()
            }
            return false
        }
        #expect(metSleep, "no decision met the sleeping Redis")
        // The first failure-policy answer can only be a timeout: nothing closes a connection
        // before three timeouts in a row.
        #expect(metrics.unavailable("timeout") >= 1)
        for round in 0..<4 {
            try await withThrowingTaskGroup(of: RateLimitDecision.self) { group in
                for _ in 0..<6 {
                    group.addTask { try await limiter.acquire("k") }
                }
                for try await decision in group {
                    #expect(
                        failedClosed(decision) || fromRedis(decision),
                        "round \(round): neither the failure policy's answer nor Redis's: \(decision)")
                }
            }
            try await Task.sleep(for: .milliseconds(150))
        }
        #expect(try await sleeper.task.value == .simpleString("OK"))
        let resumed = await pollUntil { (try? await limiter.acquireReportingTime("k", cost: 0)) != nil }
        #expect(resumed, "decisions did not come back from Redis after the sleep")
        await limiter.shutdown()
    }
}
