/// What to measure: every engine × workload × thread count, each cell repeated.
package struct BenchmarkPlan: Sendable {
    package var engines: [BenchmarkEngine]
    package var workloads: [Workload]
    package var threads: [Int]
    package var repetitions: Int
    /// What every cell runs with.
    package var settings: CellSettings
    /// When a cell counts as noisy.
    package var noiseLimits = NoiseLimits.standard
    /// How many times a workload and thread count with a noisy cell is measured again, all its
    /// engines together (so that they stay interleaved and comparable).
    package var retryNoisy = 0
    /// With a rate, every cell also (or, for a fixed rate, only) runs open loop: see
    /// ``OfferedRate``. The floors have no open-loop cells: they are throughput references.
    package var offeredRate: OfferedRate?

    package init(
        engines: [BenchmarkEngine],
        workloads: [Workload],
        threads: [Int],
        repetitions: Int,
        settings: CellSettings
    ) {
        self.engines = engines
        self.workloads = workloads
        self.threads = threads
        self.repetitions = repetitions
        self.settings = settings
    }

    /// - Parameters:
    ///   - allocator: The allocator this process runs with, for the record.
    ///   - denyRatio: For mixed workloads (`recommend`): the share of requests aimed at
    ///     always-empty buckets.
    package init(
        engines: [BenchmarkEngine],
        workloads: [Workload],
        threads: [Int],
        keys: Int,
        duration: Duration,
        repetitions: Int,
        clock: ClockChoice,
        allocator: String = "system",
        denyRatio: Double = 0
    ) {
        let settings = CellSettings(
            keys: keys,
            clock: clock,
            duration: duration,
            denyRatio: denyRatio,
            allocator: allocator
        )
        self.init(
            engines: engines,
            workloads: workloads,
            threads: threads,
            repetitions: repetitions,
            settings: settings
        )
    }

    /// The number of repetitions to run in all, before any re-run of noisy cells.
    package var repetitionCount: Int {
        let perGroup = self.workloads.map { workload -> Int in
            let closed = self.engines(for: workload).count
            let openLoop = self.openLoopEngines(for: workload).count
            if workload == .trace && self.settings.trace?.timing == .recorded {
                return openLoop
            }
            switch self.offeredRate {
            case nil: return closed
            case .perSecond: return openLoop
            // Closed loop, then the timed maximum and the open loop for each engine but the floors.
            case .fractionOfMaximum: return closed + 2 * openLoop
            }
        }
        return perGroup.reduce(0, +) * self.threads.count * self.repetitions
    }

    /// The rows with a closed-loop cell for `workload` (see ``BenchmarkEngine/measures(_:)``).
    func engines(for workload: Workload) -> [BenchmarkEngine] {
        self.engines.filter { $0.measures(workload) }
    }

    /// The rows measured open loop on `workload`: all but the floors, which are throughput
    /// references.
    func openLoopEngines(for workload: Workload) -> [BenchmarkEngine] {
        self.engines(for: workload).filter { !$0.isFloor }
    }

    /// The cell of `engine`, `workload` and `threads` under this plan's settings.
    func cell(_ engine: BenchmarkEngine, _ workload: Workload, threads: Int, rate: Double? = nil) -> CellConfiguration {
        CellConfiguration(
            engine: engine, workload: workload, threads: threads, settings: self.settings, offeredRate: rate)
    }
}
