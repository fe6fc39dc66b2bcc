import CRateLimitShims
import RateLimitTesting

@testable import RateLimit

/// What exploring a scenario found.
struct ExplorationOutcome: CustomStringConvertible {
    var scenario: String
    var schedules = 0
    var witnessed = 0
    var longestSchedule = 0

    var description: String {
        "\(self.scenario): \(self.schedules) schedules explored (longest \(self.longestSchedule) steps), the interleaving of interest in \(self.witnessed)"
    }
}

struct InterleavingFailure: Error, CustomStringConvertible {
    var description: String
}

enum InterleavingRunner {
    /// Runs every schedule of `scenario`, checking each history; throws on the first failure with
    /// the schedule that produced it.
    static func explore(_ scenario: InterleavingScenario, limit: Int = 200_000) async throws -> ExplorationOutcome {
        // On a thread of its own, pinned with its workers to one CPU: not one of Swift
        // concurrency's shared threads, which other tests need and whose affinity must not change.
        try await RealThreads.offload {
            // A thread of its own for the pinning: pool threads must keep their affinity.
            let result = PerThreadResults<Result<ExplorationOutcome, InterleavingFailure>?>(count: 1, initial: nil)
            RealThreads.run(1) { _ in
                let cpu = crl_current_cpu()
                let pinned = crl_pin_current_thread(cpu) == 0
                result.update(0) {
                    $0 = Result { () throws(InterleavingFailure) in
                        try self.exploreHere(scenario, limit: limit, cpu: pinned ? cpu : nil)
                    }
                }
            }
            return result.all[0]!
        }.get()
    }

    private static func exploreHere(_ scenario: InterleavingScenario, limit: Int, cpu: Int32?)
        throws(InterleavingFailure) -> ExplorationOutcome
    {
        let explorer = InterleavingExplorer(threads: scenario.callers.count, cpu: cpu)
        if scenario.graceFree { explorer.inertPoints = InterleavingExplorer.readSectionPoints }
        var outcome = ExplorationOutcome(scenario: scenario.description)
        var deadlocked = false
        defer { if !deadlocked { explorer.shutDown() } }
        let keys = scenario.probeKeys()
        let checker = LinearizabilityChecker(
            partitionOf: { scenario.partition(of: keys[$0]!) }, keyOf: { ($0.base as? ProbeKey)?.id })
        let partitions = scenario.engine == .sharded ? scenario.shards : 1
        repeat {
            var statistics: RateLimiterStatistics?
            do {
                try explorer.execute(
                    start: scenario.start,
                    making: scenario.makeLimiter,
                    setUp: { limiter in
                        for operation in scenario.setUp {
                            explorer.perform(
                                operation, thread: InterleavingExplorer.main, on: limiter,
                                key: keys[operation.key]!)
                        }
                    },
                    work: { limiter, thread in
                        for operation in scenario.callers[thread] {
                            explorer.perform(operation, thread: thread, on: limiter, key: keys[operation.key]!)
                        }
                    },
                    tearDown: { limiter in
                        for operation in scenario.tearDown {
                            explorer.perform(
                                operation, thread: InterleavingExplorer.main, on: limiter,
                                key: keys[operation.key]!)
                        }
                        statistics = limiter.statistics
                    }
                )
            } catch {
                throw InterleavingFailure(description: "\(scenario): the engine could not be made: \(error)")
            }
            outcome.schedules += 1
            outcome.longestSchedule = max(outcome.longestSchedule, explorer.trace.count)
            let schedule = explorer.log.joined(separator: " ")
            if let failure = explorer.failure {
                deadlocked = failure.hasPrefix("deadlock")
                throw InterleavingFailure(description: "\(scenario): \(failure); schedule: \(schedule)")
            }
            let initial = SequentialModel(policy: scenario.policy, epoch: scenario.start, partitions: partitions)
            guard let final = checker.check(explorer.history, initial: initial) else {
                throw InterleavingFailure(
                    description:
                        "\(scenario): no sequential order explains the decisions; schedule: \(schedule); history: \(Self.describe(explorer.history))"
                )
            }
            let events = explorer.history.entries.compactMap { entry -> InterleavingEvent? in
                if case .event(let event, _, _) = entry { return event }
                return nil
            }
            let expired = events.filter { if case .expired = $0 { return true } else { return false } }.count
            let evicted = events.filter { if case .evicted = $0 { return true } else { return false } }.count
            if let statistics,
                statistics.trackedKeys != final.trackedKeys || statistics.expiredBuckets != expired
                    || statistics.evictedBuckets != evicted
            {
                throw InterleavingFailure(
                    description:
                        "\(scenario): the engine reports \(statistics); the model tracks \(final.trackedKeys) keys after \(expired) drops and \(evicted) evictions; schedule: \(schedule)"
                )
            }
            if scenario.witness(explorer.history, explorer.log) { outcome.witnessed += 1 }
            if outcome.schedules >= limit {
                throw InterleavingFailure(
                    description: "\(scenario): more than \(limit) schedules; make the scenario smaller")
            }
        } while explorer.advance()
        return outcome
    }

    static func describe(_ history: History) -> String {
        history.entries.map { entry in
            switch entry {
            case .operation(let thread, let operation, let decision, let invoked, let responded):
                "[\(invoked)–\(responded)] \(InterleavingExplorer.name(thread)) \(operation) → \(decision)"
            case .event(let event, let operation, let at):
                "[\(at)] \(event) during \(operation)"
            }
        }.joined(separator: "; ")
    }
}
