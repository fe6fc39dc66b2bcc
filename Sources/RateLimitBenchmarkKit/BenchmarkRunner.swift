import Histogram

/// Runs a plan cell by cell and summarises each cell's repetitions.
package enum BenchmarkRunner {
    /// Measures every cell of `plan`. Repetitions of a workload and thread count cycle through the
    /// engines, so slow drift on a shared machine spreads over all engines instead of biasing one.
    /// When one of those cells is over the plan's noise limits, all of them are measured again,
    /// up to `plan.retryNoisy` times; the first clean attempt is kept, else the least noisy one.
    /// With an offered rate, the open-loop cells follow (for a share of the maximum, after the
    /// closed-loop cells they take it from).
    ///
    /// - Parameters:
    ///   - bytesPerKey: Per-engine memory figures (see ``MemoryProbe``), attached to its cells.
    ///   - progress: Called after every repetition and before every re-run.
    package static func run(
        _ plan: BenchmarkPlan,
        bytesPerKey: [BenchmarkEngine: Double],
        progress: (BenchmarkProgress) -> Void
    ) -> [CellResult] {
        var results: [CellResult] = []
        var counter = (done: 0, total: plan.repetitionCount)
        for workload in plan.workloads {
            for threads in plan.threads {
                let group = Group(workload: workload, threads: threads, bytesPerKey: bytesPerKey)
                let closed = plan.engines(for: workload)
                let openLoop = plan.openLoopEngines(for: workload)
                if workload == .trace, let replay = plan.settings.trace, replay.timing == .recorded {
                    // Open loop at the recorded offsets: the trace's own rate is what is offered.
                    let rates = Dictionary(
                        uniqueKeysWithValues: openLoop.map { ($0, replay.trace.recordedRate) })
                    results += self.measure(group, openLoop, rates: rates, plan, &counter, progress)
                    continue
                }
                switch plan.offeredRate {
                case nil:
                    results += self.measure(group, closed, rates: nil, plan, &counter, progress)
                case .perSecond(let rate):
                    let rates = Dictionary(uniqueKeysWithValues: openLoop.map { ($0, rate) })
                    results += self.measure(group, openLoop, rates: rates, plan, &counter, progress)
                case .fractionOfMaximum(let fraction):
                    results += self.measure(group, closed, rates: nil, plan, &counter, progress)
                    let maximum = self.timedMaximum(group, openLoop, plan, &counter, progress)
                    let rates = maximum.mapValues { max($0 * fraction, 1) }
                    results += self.measure(group, openLoop, rates: rates, plan, &counter, progress)
                }
            }
        }
        return results
    }

    /// A workload at a thread count: the cells measured together.
    private struct Group {
        var workload: Workload
        var threads: Int
        var bytesPerKey: [BenchmarkEngine: Double]
    }

    /// Each engine's closed-loop maximum with every decision timed, as the open loop times them
    /// (the open-loop driver at an infinite rate: every decision is due at once): what a share of
    /// the maximum is taken of, so that the driver's own clock read and histogram record per
    /// decision are inside the maximum and `--rate 100%` is just sustainable. The plain closed-loop
    /// cells time one decision in 128 and would overstate it. Not kept as cells.
    private static func timedMaximum(
        _ group: Group,
        _ engines: [BenchmarkEngine],
        _ plan: BenchmarkPlan,
        _ counter: inout (done: Int, total: Int),
        _ progress: (BenchmarkProgress) -> Void
    ) -> [BenchmarkEngine: Double] {
        let rates = Dictionary(uniqueKeysWithValues: engines.map { ($0, Double.infinity) })
        let name = "\(group.workload) × \(group.threads) thr, maximum with every decision timed"
        let cells = self.measureOnce(group, engines, rates: rates, plan, name: name, &counter, progress)
        var maximum: [BenchmarkEngine: Double] = [:]
        for engine in engines {
            maximum[engine] = cells.first { $0.engine == EngineName(engine) }?.opsPerSecond ?? 0
        }
        return maximum
    }

    /// Measures `engines` on `group`, closed loop or (with `rates`) open loop, and again while a
    /// cell is noisy and retries are left.
    private static func measure(
        _ group: Group,
        _ engines: [BenchmarkEngine],
        rates: [BenchmarkEngine: Double]?,
        _ plan: BenchmarkPlan,
        _ counter: inout (done: Int, total: Int),
        _ progress: (BenchmarkProgress) -> Void
    ) -> [CellResult] {
        let name = "\(group.workload) × \(group.threads) thr\(rates == nil ? "" : " open loop")"
        var kept: [CellResult] = []
        var attempts = 0
        for attempt in 1...(plan.retryNoisy + 1) {
            if attempt > 1 {
                counter.total += engines.count * plan.repetitions
            }
            attempts = attempt
            let cells = self.measureOnce(group, engines, rates: rates, plan, name: name, &counter, progress)
            let excess = { (cells: [CellResult]) in cells.map(plan.noiseLimits.excess(of:)).max() ?? 0 }
            if kept.isEmpty || excess(cells) < excess(kept) {
                kept = cells
            }
            let noisy = cells.filter { !($0.noise ?? []).isEmpty }
            guard !noisy.isEmpty, attempt <= plan.retryNoisy else { break }
            let reasons = noisy.map { "\($0.engine): \(($0.noise ?? []).joined(separator: ", "))" }
            progress(
                .retry(
                    "noisy: \(name) (\(reasons.joined(separator: "; "))); measuring again, attempt \(attempt + 1) of \(plan.retryNoisy + 1)"
                ))
        }
        // How many attempts were made, whichever of them is kept.
        for index in kept.indices {
            kept[index].attempts = attempts
        }
        return kept
    }

    /// One attempt at every engine's cell of `group`, with ratios to the floor and noise flags;
    /// each repetition is counted and reported as `name`'s (with the rate offered, if any).
    private static func measureOnce(
        _ group: Group,
        _ engines: [BenchmarkEngine],
        rates: [BenchmarkEngine: Double]?,
        _ plan: BenchmarkPlan,
        name: String,
        _ counter: inout (done: Int, total: Int),
        _ progress: (BenchmarkProgress) -> Void
    ) -> [CellResult] {
        var measurements: [BenchmarkEngine: [RepetitionMeasurement]] = [:]
        for repetition in 1...plan.repetitions {
            for engine in engines {
                let cell = plan.cell(engine, group.workload, threads: group.threads, rate: rates?[engine])
                let measurement = CellRunner.measure(cell)
                measurements[engine, default: []].append(measurement)
                counter.done += 1
                let offered = rates?[engine].flatMap { $0.isFinite ? " at \(millions($0)) M/s offered" : nil } ?? ""
                progress(
                    .repetition(
                        done: counter.done, total: counter.total,
                        cell: "\(name), \(engine) rep \(repetition)\(offered)",
                        opsPerSecond: measurement.operationsPerSecond))
            }
        }
        var cells = engines.map { engine in
            self.summarise(
                measurements[engine] ?? [],
                engine: EngineName(engine),
                workload: group.workload,
                threads: group.threads,
                plan: plan,
                bytesPerKey: group.bytesPerKey[engine],
                offeredRate: rates?[engine]
            )
        }
        let floor = cells.first { $0.engine == EngineName(.floor) }
        let keyedFloor = cells.first { $0.engine == EngineName(.floorKeyed) }
        for index in cells.indices {
            if let floor, floor.opsPerSecond > 0 {
                cells[index].ratioToFloor = cells[index].opsPerSecond / floor.opsPerSecond
            }
            if let keyedFloor, keyedFloor.opsPerSecond > 0 {
                cells[index].ratioToKeyedFloor = cells[index].opsPerSecond / keyedFloor.opsPerSecond
            }
            cells[index].noise = plan.noiseLimits.flags(for: cells[index])
        }
        return cells
    }

    /// Summarises the repetitions of one cell: median ops/s with min and max, merged latency, and
    /// the noise the repetitions saw.
    package static func summarise(
        _ measurements: [RepetitionMeasurement],
        engine: EngineName,
        workload: Workload,
        threads: Int,
        plan: BenchmarkPlan,
        bytesPerKey: Double?,
        offeredRate: Double? = nil
    ) -> CellResult {
        var latency = WorkerTally.makeHistogram()
        for measurement in measurements {
            latency.add(measurement.latency)
        }
        let operations = measurements.reduce(0) { $0 + $1.operations }
        let allowed = measurements.reduce(0) { $0 + $1.allowed }
        let retries = measurements.compactMap(\.casRetries)
        let evictions = measurements.compactMap(\.evictions)
        var drift: Double?
        if workload == .churn, let last = measurements.last {
            let secondHalf = last.residentSamples.suffix(4)
            if let high = secondHalf.max(), let low = secondHalf.min(), high > 0 {
                drift = Double(high - low) / Double(high)
            }
        }
        var cell = CellResult(
            engine: engine,
            workload: workload,
            threads: threads,
            keys: workload == .churn ? Workload.churnMaxKeys : plan.settings.keys,
            clock: plan.settings.clock,
            // The ops/s figures, ns/op/thread and repetitions: set from the repetitions below.
            opsPerSecond: 0,
            opsPerSecondMin: 0,
            opsPerSecondMax: 0,
            opsPerSecondRepetitions: nil,
            p50Nanoseconds: latency.valueAtPercentile(50),
            p99Nanoseconds: latency.valueAtPercentile(99),
            p999Nanoseconds: latency.valueAtPercentile(99.9),
            maxNanoseconds: latency.max,
            allowed: allowed,
            denied: operations - allowed,
            casRetriesPerOp: retries.isEmpty || operations == 0
                ? nil : Double(retries.reduce(0, +)) / Double(operations),
            evictions: evictions.isEmpty ? nil : evictions.reduce(0, +),
            bytesPerKey: bytesPerKey,
            nanosecondsPerOpPerThread: 0,
            ratioToFloor: nil,
            residentBytes: measurements.last?.residentSamples.last ?? 0,
            residentDriftSecondHalf: drift,
            repetitions: 0,
            durationSeconds: plan.settings.duration / .seconds(1),
            allocator: plan.settings.allocator
        )
        cell.setRepetitions(measurements.map(\.operationsPerSecond))
        let ticks = measurements.compactMap(\.hostTicks)
        if ticks.count == measurements.count {
            cell.stealFraction =
                ticks.reduce(HostCPUTimes(total: 0, steal: 0)) { sum, next in
                    HostCPUTimes(total: sum.total + next.total, steal: sum.steal + next.steal)
                }.stealFraction
        }
        let scheduling = ThreadSchedulingCounters.sum(measurements.map(\.scheduling))
        cell.involuntaryContextSwitches = scheduling?.involuntarySwitches
        cell.cpuMigrations = scheduling?.migrations
        cell.cpus = measurements.first?.cpus
        cell.p90Nanoseconds = latency.valueAtPercentile(90)
        cell.p9999Nanoseconds = latency.valueAtPercentile(99.99)
        if let offeredRate {
            cell.offeredOpsPerSecond = offeredRate
            let due = measurements.compactMap(\.due).reduce(0, +)
            cell.backlog = max(due - operations, 0)
            cell.latencyPercentiles = LatencyPoint.percentiles.map { percentile in
                LatencyPoint(
                    percentile: percentile,
                    nanoseconds: percentile >= 100 ? latency.max : latency.valueAtPercentile(percentile))
            }
        }
        return cell
    }
}
