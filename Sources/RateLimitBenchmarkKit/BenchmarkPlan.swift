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
    /// ``OfferedRate``. The floor has no open-loop cells: it is a throughput reference.
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
            if workload == .trace && self.settings.trace?.timing == .recorded {
                return self.openLoopEngines.count
            }
            switch self.offeredRate {
            case nil: return self.engines.count
            case .perSecond: return self.openLoopEngines.count
            // Closed loop, then the timed maximum and the open loop for each engine but the floor.
            case .fractionOfMaximum: return self.engines.count + 2 * self.openLoopEngines.count
            }
        }
        return perGroup.reduce(0, +) * self.threads.count * self.repetitions
    }

    /// The engines measured open loop: all but the floor.
    var openLoopEngines: [BenchmarkEngine] {
        self.engines.filter { $0 != .floor }
    }

    /// The cell of `engine`, `workload` and `threads` under this plan's settings.
    func cell(_ engine: BenchmarkEngine, _ workload: Workload, threads: Int, rate: Double? = nil) -> CellConfiguration {
        CellConfiguration(
            engine: engine, workload: workload, threads: threads, settings: self.settings, offeredRate: rate)
    }
}
