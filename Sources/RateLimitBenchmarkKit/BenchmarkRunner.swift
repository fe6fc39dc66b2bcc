import Histogram

/// Runs a plan cell by cell and summarises each cell's repetitions.
package enum BenchmarkRunner {
    /// Measures every cell of `plan`. Repetitions of a workload and thread count cycle through the
    /// engines, so slow drift on a shared machine spreads over all engines instead of biasing one.
    ///
    /// - Parameters:
    ///   - bytesPerKey: Per-engine memory figures (see ``MemoryProbe``), attached to its cells.
    ///   - progress: Called with a line after every repetition.
    package static func run(
        _ plan: BenchmarkPlan,
        bytesPerKey: [BenchmarkEngine: Double],
        progress: (String) -> Void
    ) -> [CellResult] {
        var results: [CellResult] = []
        var done = 0
        for workload in plan.workloads {
            for threads in plan.threads {
                var measurements: [BenchmarkEngine: [RepetitionMeasurement]] = [:]
                for repetition in 1...plan.repetitions {
                    for engine in plan.engines {
                        let measurement = CellRunner.measure(plan.cell(engine, workload, threads: threads))
                        measurements[engine, default: []].append(measurement)
                        done += 1
                        progress(
                            "[\(done)/\(plan.repetitionCount)] \(workload) × \(threads) thr, \(engine) rep \(repetition): "
                                + "\(millions(measurement.operationsPerSecond)) M ops/s"
                        )
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
                if let floor = cells.first(where: { $0.engine == EngineName(.floor) }), floor.opsPerSecond > 0 {
                    for index in cells.indices {
                        cells[index].ratioToFloor = cells[index].opsPerSecond / floor.opsPerSecond
                    }
                }
                results += cells
            }
        }
        return results
    }

    /// Summarises the repetitions of one cell: median ops/s with min and max, merged latency.
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
        return cell
    }
}
