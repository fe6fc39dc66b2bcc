import CRateLimitShims
import Foundation

/// How often the scheduler disturbed one thread: preemptions (involuntary context switches) and
/// moves to another CPU (migrations). Read by each worker before and after its run.
package struct ThreadSchedulingCounters: Hashable, Sendable {
    /// Times the thread was switched out while it still wanted to run.
    package var involuntarySwitches: Int
    /// Times the thread moved to another CPU; `nil` where the kernel does not say (no
    /// `/proc/thread-self/sched`, which needs `CONFIG_SCHED_DEBUG`).
    package var migrations: Int?

    package init(involuntarySwitches: Int, migrations: Int?) {
        self.involuntarySwitches = involuntarySwitches
        self.migrations = migrations
    }

    /// The calling thread's counters; `nil` where neither source exists.
    package static func current() -> ThreadSchedulingCounters? {
        if let text = try? String(contentsOfFile: "/proc/thread-self/sched", encoding: .utf8),
            let counters = self.parse(text)
        {
            return counters
        }
        // Without the scheduler's debug file: preemptions only, from the thread's resource usage.
        let switches = crl_thread_involuntary_switches()
        return switches < 0 ? nil : ThreadSchedulingCounters(involuntarySwitches: switches, migrations: nil)
    }

    /// Parses `/proc/thread-self/sched`: `nr_involuntary_switches` and `se.nr_migrations`.
    package static func parse(_ text: String) -> ThreadSchedulingCounters? {
        var switches: Int?
        var migrations: Int?
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            let value = Int(parts[1].trimmingCharacters(in: .whitespaces))
            switch name {
            case "nr_involuntary_switches": switches = value
            case "se.nr_migrations": migrations = value
            default: continue
            }
        }
        return switches.map { ThreadSchedulingCounters(involuntarySwitches: $0, migrations: migrations) }
    }

    /// What happened from `earlier` to `self`.
    package func since(_ earlier: ThreadSchedulingCounters) -> ThreadSchedulingCounters {
        ThreadSchedulingCounters(
            involuntarySwitches: self.involuntarySwitches - earlier.involuntarySwitches,
            migrations: self.migrations.flatMap { now in earlier.migrations.map { now - $0 } }
        )
    }

    /// The sum of every thread's counters; `nil` if any thread's are missing. Migrations are
    /// summed only when every thread has them.
    package static func sum(_ counters: [ThreadSchedulingCounters?]) -> ThreadSchedulingCounters? {
        let known = counters.compactMap { $0 }
        guard known.count == counters.count, !known.isEmpty else { return nil }
        let migrations = known.compactMap(\.migrations)
        return ThreadSchedulingCounters(
            involuntarySwitches: known.reduce(0) { $0 + $1.involuntarySwitches },
            migrations: migrations.count == known.count ? migrations.reduce(0, +) : nil
        )
    }
}
