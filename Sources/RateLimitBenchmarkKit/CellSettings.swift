/// What every cell of a plan shares: the keys, clock, duration and deny share it runs with, and
/// the allocator, for the record.
package struct CellSettings: Hashable, Sendable {
    /// Distinct keys for the keyed workloads.
    package var keys: Int
    /// The clock the engines read.
    package var clock: ClockChoice
    /// How long the threads run, per repetition.
    package var duration: Duration
    /// For mixed workloads (`recommend`): the share of requests aimed at always-empty buckets.
    package var denyRatio: Double
    /// The allocator this process runs with (`system` or `jemalloc`).
    package var allocator: String
    /// With `--pin`: the CPUs in the order worker threads take them (``CPUTopology/pinningOrder``);
    /// thread `i` of a cell runs on the `i`-th. `nil`: the scheduler places the threads.
    package var pinningOrder: [Int]?
    /// The recorded traffic the ``Workload/trace`` cells replay, and how.
    package var trace: TraceReplay?

    package init(
        keys: Int,
        clock: ClockChoice,
        duration: Duration,
        denyRatio: Double = 0,
        allocator: String = "system",
        pinningOrder: [Int]? = nil,
        trace: TraceReplay? = nil
    ) {
        self.keys = keys
        self.clock = clock
        self.duration = duration
        self.denyRatio = denyRatio
        self.allocator = allocator
        self.pinningOrder = pinningOrder
        self.trace = trace
    }
}

/// One cell of the sweep: an engine, a workload and a thread count, with the plan's settings.
package struct CellConfiguration: Hashable, Sendable {
    package var engine: BenchmarkEngine
    package var workload: Workload
    package var threads: Int
    package var settings: CellSettings
    /// Open loop: decisions per second offered in total over the threads, each issued on a fixed
    /// schedule and its latency measured from when it was due. `nil`: closed loop, each thread
    /// deciding as fast as it can.
    package var offeredRate: Double?

    package init(
        engine: BenchmarkEngine, workload: Workload, threads: Int, settings: CellSettings, offeredRate: Double? = nil
    ) {
        self.engine = engine
        self.workload = workload
        self.threads = threads
        self.settings = settings
        self.offeredRate = offeredRate
    }

    package init(
        engine: BenchmarkEngine,
        workload: Workload,
        threads: Int,
        keys: Int,
        clock: ClockChoice,
        duration: Duration,
        denyRatio: Double = 0
    ) {
        let settings = CellSettings(keys: keys, clock: clock, duration: duration, denyRatio: denyRatio)
        self.init(engine: engine, workload: workload, threads: threads, settings: settings)
    }
}
