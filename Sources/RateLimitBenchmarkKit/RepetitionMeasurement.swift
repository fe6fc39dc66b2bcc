import Histogram

/// What one repetition of a cell measured.
package struct RepetitionMeasurement: Sendable {
    package var operations: Int
    package var elapsedNanoseconds: Int64
    package var allowed: Int
    package var latency: Histogram<UInt64>
    package var casRetries: Int?
    package var evictions: Int?
    /// Full buckets dropped during the run (bounded engines only).
    package var expirations: Int?
    /// Resident memory sampled at eight even points of the run.
    package var residentSamples: [Int]
    /// The machine's CPU ticks (all and stolen) over the run; `nil` where `/proc/stat` is missing.
    package var hostTicks: HostCPUTimes?
    /// Preemptions and migrations of the workers over the run, summed over threads; `nil` where
    /// the kernel does not say.
    package var scheduling: ThreadSchedulingCounters?
    /// With pinning: the CPU of each worker, by thread index.
    package var cpus: [Int]?
    /// Open loop: the decisions that were due by the end, summed over threads (at least
    /// `operations` less the one each thread may have issued late; more when a backlog was left).
    package var due: Int?

    package init(
        operations: Int,
        elapsedNanoseconds: Int64,
        allowed: Int,
        latency: Histogram<UInt64>,
        residentSamples: [Int]
    ) {
        self.operations = operations
        self.elapsedNanoseconds = elapsedNanoseconds
        self.allowed = allowed
        self.latency = latency
        self.residentSamples = residentSamples
    }

    /// An empty histogram of the harness's range: 1 ns to 10 s at three significant digits.
    package static func makeHistogram() -> Histogram<UInt64> {
        WorkerTally.makeHistogram()
    }

    package var operationsPerSecond: Double {
        Double(self.operations) * 1e9 / Double(max(self.elapsedNanoseconds, 1))
    }
}

/// What one worker counted.
struct WorkerTally: Sendable {
    var operations = 0
    var allowed = 0
    var latency = WorkerTally.makeHistogram()
    /// The scheduler's counters for this worker over its run.
    var scheduling: ThreadSchedulingCounters?
    /// Open loop: decisions due by the time the worker stopped.
    var due: Int?

    static func makeHistogram() -> Histogram<UInt64> {
        // 1 ns to 10 s at three significant digits.
        Histogram<UInt64>(
            lowestDiscernibleValue: 1,
            highestTrackableValue: 10_000_000_000,
            numberOfSignificantValueDigits: .three
        )
    }
}
