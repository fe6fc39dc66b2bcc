/// One cell's result, in the stable JSON schema other tools read (see the README's
/// "Benchmark output" section). Optional fields are `null` where they do not apply.
package struct CellResult: Codable, Hashable, Sendable {
    package var engine: EngineName
    package var workload: Workload
    package var threads: Int
    /// Distinct keys (the bound on tracked keys for `churn`).
    package var keys: Int
    package var clock: ClockChoice
    /// Median over repetitions.
    package var opsPerSecond: Double
    package var opsPerSecondMin: Double
    package var opsPerSecondMax: Double
    /// Each repetition's ops/s, in the order they ran: what `ratelimit-bench compare` tests.
    /// `nil` in files written before it existed.
    package var opsPerSecondRepetitions: [Double]?
    /// Latency of sampled decisions over all repetitions, including one clock read (~25 ns).
    package var p50Nanoseconds: UInt64
    package var p99Nanoseconds: UInt64
    package var p999Nanoseconds: UInt64
    package var maxNanoseconds: UInt64
    /// Decisions allowed and denied, summed over repetitions.
    package var allowed: Int
    package var denied: Int
    /// Compare-and-swap retries per decision (`atomic` only).
    package var casRetriesPerOp: Double?
    /// Buckets evicted while still owing tokens, summed over repetitions.
    package var evictions: Int?
    /// Resident memory per tracked key, measured in a fresh process with `keys` integer keys.
    package var bytesPerKey: Double?
    // Beyond the core schema:
    /// Wall time per decision on each thread: threads ÷ ops/s.
    package var nanosecondsPerOpPerThread: Double
    /// This row's median ops/s over the `floor` row's, in the same run.
    package var ratioToFloor: Double?
    /// This row's median ops/s over the `floor-keyed` row's, on the workloads that have one;
    /// `nil` elsewhere and in files written before it existed.
    package var ratioToKeyedFloor: Double?
    /// Process resident memory at the end of the last repetition.
    package var residentBytes: Int
    /// `churn`: the spread of resident memory over the second half of the run, as a fraction of
    /// its maximum (flat memory is near 0).
    package var residentDriftSecondHalf: Double?
    package var repetitions: Int
    package var durationSeconds: Double
    /// The allocator the process ran with (`system` or `jemalloc`).
    package var allocator: String
    // Noise the harness saw; `nil` in files written before it looked, or where not measured:
    /// The share of the machine's CPU time the host stole over the cell's repetitions.
    package var stealFraction: Double?
    /// Times the workers were preempted, summed over threads and repetitions.
    package var involuntaryContextSwitches: Int?
    /// Times the workers moved to another CPU, summed over threads and repetitions.
    package var cpuMigrations: Int?
    /// Standard deviation over mean of the repetitions' ops/s (`nil` for one repetition).
    package var coefficientOfVariation: Double?
    /// Why the cell is noisy (see `NoiseLimits`); empty when it is within the limits.
    package var noise: [String]?
    /// Times the cell's workload and thread count were measured: 1, plus the `--retry-noisy`
    /// re-runs it took (the figures are from the first clean attempt, else the least noisy one).
    package var attempts: Int?
    /// With `--pin`: the CPU each worker thread was pinned to, by thread index.
    package var cpus: [Int]?
    // Latency beyond the core schema, and open-loop cells (`--rate`):
    package var p90Nanoseconds: UInt64?
    package var p9999Nanoseconds: UInt64?
    /// Open loop: the decisions per second offered (`opsPerSecond` is what was achieved);
    /// `nil` for closed-loop cells.
    package var offeredOpsPerSecond: Double?
    /// Open loop: latency from each decision's due time, at ``LatencyPoint/percentiles``.
    package var latencyPercentiles: [LatencyPoint]?
    /// Open loop: decisions that were due but not yet issued when repetitions ended, summed (a
    /// backlog: the engine and the driver did not keep up, or the host stalled them).
    package var backlog: Int?

    /// Encodes every field, writing `null` for those that do not apply (the synthesised encoder
    /// would leave them out, and readers of the schema expect every key).
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.engine, forKey: .engine)
        try container.encode(self.workload, forKey: .workload)
        try container.encode(self.threads, forKey: .threads)
        try container.encode(self.keys, forKey: .keys)
        try container.encode(self.clock, forKey: .clock)
        try container.encode(self.opsPerSecond, forKey: .opsPerSecond)
        try container.encode(self.opsPerSecondMin, forKey: .opsPerSecondMin)
        try container.encode(self.opsPerSecondMax, forKey: .opsPerSecondMax)
        try container.encode(self.opsPerSecondRepetitions, forKey: .opsPerSecondRepetitions)
        try container.encode(self.p50Nanoseconds, forKey: .p50Nanoseconds)
        try container.encode(self.p99Nanoseconds, forKey: .p99Nanoseconds)
        try container.encode(self.p999Nanoseconds, forKey: .p999Nanoseconds)
        try container.encode(self.maxNanoseconds, forKey: .maxNanoseconds)
        try container.encode(self.allowed, forKey: .allowed)
        try container.encode(self.denied, forKey: .denied)
        try container.encode(self.casRetriesPerOp, forKey: .casRetriesPerOp)
        try container.encode(self.evictions, forKey: .evictions)
        try container.encode(self.bytesPerKey, forKey: .bytesPerKey)
        try container.encode(self.nanosecondsPerOpPerThread, forKey: .nanosecondsPerOpPerThread)
        try container.encode(self.ratioToFloor, forKey: .ratioToFloor)
        try container.encode(self.ratioToKeyedFloor, forKey: .ratioToKeyedFloor)
        try container.encode(self.residentBytes, forKey: .residentBytes)
        try container.encode(self.residentDriftSecondHalf, forKey: .residentDriftSecondHalf)
        try container.encode(self.repetitions, forKey: .repetitions)
        try container.encode(self.durationSeconds, forKey: .durationSeconds)
        try container.encode(self.allocator, forKey: .allocator)
        try container.encode(self.stealFraction, forKey: .stealFraction)
        try container.encode(self.involuntaryContextSwitches, forKey: .involuntaryContextSwitches)
        try container.encode(self.cpuMigrations, forKey: .cpuMigrations)
        try container.encode(self.coefficientOfVariation, forKey: .coefficientOfVariation)
        try container.encode(self.noise, forKey: .noise)
        try container.encode(self.attempts, forKey: .attempts)
        try container.encode(self.cpus, forKey: .cpus)
        try container.encode(self.p90Nanoseconds, forKey: .p90Nanoseconds)
        try container.encode(self.p9999Nanoseconds, forKey: .p9999Nanoseconds)
        try container.encode(self.offeredOpsPerSecond, forKey: .offeredOpsPerSecond)
        try container.encode(self.latencyPercentiles, forKey: .latencyPercentiles)
        try container.encode(self.backlog, forKey: .backlog)
    }
}

/// A whole run: where, how, what, and the verdict.
package struct BenchmarkReport: Codable, Sendable {
    package var machine: MachineDescription
    /// ISO 8601 date and time the run started (UTC).
    package var date: String
    /// The command line that reproduces the run.
    package var command: String
    package var cells: [CellResult]
    package var recommendation: Recommendation?

    package init(
        machine: MachineDescription, date: String, command: String, cells: [CellResult], recommendation: Recommendation?
    ) {
        self.machine = machine
        self.date = date
        self.command = command
        self.cells = cells
        self.recommendation = recommendation
    }
}
