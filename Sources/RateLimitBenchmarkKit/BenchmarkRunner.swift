import Histogram

/// Runs a plan cell by cell and summarises each cell's repetitions.
package enum BenchmarkRunner {
    /// Measures every cell of `plan`. Repetitions of a workload and thread count cycle through the
    /// engines, so slow drift on a shared machine spreads over all engines instead of biasing one.
    /// When one of those cells is over the plan's noise limits, all of them are measured again,
    /// up to `plan.retryNoisy` times; the first clean attempt is kept, else the least noisy one.
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
        var done = 0
        var total = plan.repetitionCount
        for workload in plan.workloads {
            for threads in plan.threads {
                var kept: [CellResult] = []
                for attempt in 1...(plan.retryNoisy + 1) {
                    if attempt > 1 {
                        total += plan.engines.count * plan.repetitions
                    }
                    var cells = self.measureGroup(plan, workload, threads, bytesPerKey) { engine, repetition, rate in
                        done += 1
                        let cell = "\(workload) × \(threads) thr, \(engine) rep \(repetition)"
                        progress(.repetition(done: done, total: total, cell: cell, opsPerSecond: rate))
                    }
                    for index in cells.indices {
                        cells[index].attempts = attempt
                    }
                    let excess = { (group: [CellResult]) in group.map(plan.noiseLimits.excess(of:)).max() ?? 0 }
                    if kept.isEmpty || excess(cells) < excess(kept) {
                        kept = cells
                    }
                    let noisy = cells.filter { !($0.noise ?? []).isEmpty }
                    guard !noisy.isEmpty, attempt <= plan.retryNoisy else { break }
                    let reasons = noisy.map { "\($0.engine): \(($0.noise ?? []).joined(separator: ", "))" }
                    progress(
                        .retry(
                            "noisy: \(workload) × \(threads) thr (\(reasons.joined(separator: "; "))); measuring again, attempt \(attempt + 1) of \(plan.retryNoisy + 1)"
                        ))
                }
                results += kept
            }
        }
        return results
    }

    /// One attempt at every engine's cell of `workload` at `threads`, with ratios to the floor
    /// and noise flags.
    private static func measureGroup(
        _ plan: BenchmarkPlan,
        _ workload: Workload,
        _ threads: Int,
        _ bytesPerKey: [BenchmarkEngine: Double],
        repetitionDone: (BenchmarkEngine, Int, Double) -> Void
    ) -> [CellResult] {
        var measurements: [BenchmarkEngine: [RepetitionMeasurement]] = [:]
        for repetition in 1...plan.repetitions {
            for engine in plan.engines {
                let measurement = CellRunner.measure(plan.cell(engine, workload, threads: threads))
                measurements[engine, default: []].append(measurement)
                repetitionDone(engine, repetition, measurement.operationsPerSecond)
            }
        }
        var cells = plan.engines.map { engine in
            self.summarise(
                measurements[engine] ?? [],
                engine: EngineName(engine),
                workload: workload,
                threads: threads,
                plan: plan,
                bytesPerKey: bytesPerKey[engine]
            )
        }
        let floor = cells.first { $0.engine == EngineName(.floor) }
        for index in cells.indices {
            if let floor, floor.opsPerSecond > 0 {
                cells[index].ratioToFloor = cells[index].opsPerSecond / floor.opsPerSecond
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
        bytesPerKey: Double?
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
        return cell
    }
}
