/// Which engine to run, decided from measured cells alone.
///
/// The rule, in plain words: look at the thread count that matches this machine's cores (or the
/// count asked for); for every workload measured, divide each engine's ops/s by the best engine's;
/// the engine with the highest geometric mean of those ratios wins — it is the one that is never
/// far from the best. When two engines are within 3 % of each other, the one that uses fewer bytes
/// per key wins. Reference rows (`floor`, `floor-keyed`, `floor-probed`, `tutorial`) are never recommended, and
/// the fast-path workloads (`hot-allow-at`, `hot-allow-handle`) are not counted.
package struct Recommendation: Codable, Hashable, Sendable {
    /// One workload's figures for the recommended engine.
    package struct Evidence: Codable, Hashable, Sendable {
        package var workload: Workload
        package var opsPerSecond: Double
        package var p99Nanoseconds: UInt64
        /// This engine's ops/s over the best engine's on this workload.
        package var ratioToBest: Double
        /// The engine that was fastest on this workload.
        package var best: EngineName
    }

    package var engine: EngineName
    package var runnerUp: EngineName?
    /// The thread count the decision was made at.
    package var threads: Int
    /// Geometric mean of ratio-to-best over the workloads.
    package var score: Double
    package var runnerUpScore: Double?
    package var bytesPerKey: Double?
    package var evidence: [Evidence]
    /// The verdict in one sentence.
    package var summary: String

    /// Recommends an engine from `cells` at the measured thread count nearest to `threads`
    /// (the machine's cores when `nil`), or returns `nil` when no engine cell was measured.
    ///
    /// - Parameter others: Engines measured besides the package's (``BenchmarkableEngine``s),
    ///   which compete too; reference rows and Redis never do.
    package static func make(
        from cells: [CellResult], threads wanted: Int, others: [EngineName] = []
    ) -> Recommendation? {
        let contenders = BenchmarkEngine.allCases.filter(\.isRateLimiter).map(EngineName.init) + others
        // Throughput decides: closed-loop cells only (an open-loop cell's ops/s is the rate offered).
        let candidates = cells.filter { contenders.contains($0.engine) && $0.offeredOpsPerSecond == nil }
        let measuredThreads = Set(candidates.map(\.threads)).sorted()
        // The nearest thread count; of two equally near, the higher.
        let nearest = measuredThreads.min { lhs, rhs in
            (abs(lhs - wanted), -lhs) < (abs(rhs - wanted), -rhs)
        }
        guard let threads = nearest else {
            return nil
        }
        let atThreads = candidates.filter { $0.threads == threads }
        // The fast-path workloads measure an API besides `acquire(_:cost:)` that only this
        // package's engines offer: they inform, they do not choose.
        let workloads = Workload.allCases.filter { workload in
            !workload.usesFastPaths && atThreads.contains { $0.workload == workload }
        }
        var best: [Workload: CellResult] = [:]
        for workload in workloads {
            best[workload] = atThreads.filter { $0.workload == workload }.max { $0.opsPerSecond < $1.opsPerSecond }
        }
        let engines = contenders.filter { engine in atThreads.contains { $0.engine == engine } }
        // Engines measured on every workload compete; a missing cell would flatter an engine.
        var scored: [(engine: EngineName, score: Double, bytes: Double?, evidence: [Evidence])] = []
        for engine in engines {
            var logSum = 0.0
            var evidence: [Evidence] = []
            var bytes: Double?
            for workload in workloads {
                guard let cell = atThreads.first(where: { $0.engine == engine && $0.workload == workload }),
                    let top = best[workload], top.opsPerSecond > 0
                else { break }
                let ratio = cell.opsPerSecond / top.opsPerSecond
                logSum += log(max(ratio, 1e-9))
                bytes = bytes ?? cell.bytesPerKey
                evidence.append(
                    Evidence(
                        workload: workload,
                        opsPerSecond: cell.opsPerSecond,
                        p99Nanoseconds: cell.p99Nanoseconds,
                        ratioToBest: ratio,
                        best: top.engine
                    )
                )
            }
            if evidence.count == workloads.count && !workloads.isEmpty {
                scored.append((engine, exp(logSum / Double(workloads.count)), bytes, evidence))
            }
        }
        scored.sort { lhs, rhs in
            if abs(lhs.score - rhs.score) < 0.03, let left = lhs.bytes, let right = rhs.bytes, left != right {
                return left < right
            }
            return lhs.score > rhs.score
        }
        guard let winner = scored.first else { return nil }
        let runnerUp = scored.dropFirst().first
        let wins = winner.evidence.filter { $0.best == winner.engine }.map(\.workload.rawValue)
        var summary = "At \(threads) thread\(threads == 1 ? "" : "s"), choose \(winner.engine): "
        summary +=
            "on average \(decimal(winner.score, digits: 2)) of the fastest engine across \(workloads.count) workload\(workloads.count == 1 ? "" : "s")"
        summary += wins.isEmpty ? "" : " (fastest on \(wins.joined(separator: ", ")))"
        if let bytes = winner.bytes { summary += ", \(decimal(bytes, digits: 1)) bytes per key" }
        summary += "."
        if let runnerUp {
            summary += " Runner-up: \(runnerUp.engine) (\(decimal(runnerUp.score, digits: 2)))."
        }
        return Recommendation(
            engine: winner.engine,
            runnerUp: runnerUp?.engine,
            threads: threads,
            score: winner.score,
            runnerUpScore: runnerUp?.score,
            bytesPerKey: winner.bytes,
            evidence: winner.evidence,
            summary: summary
        )
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// `value` with `digits` decimals, independent of the locale (unlike `String(format:)`).
package func decimal(_ value: Double, digits: Int) -> String {
    guard value.isFinite else { return "n/a" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = String(rounded)
    if text.contains("e") { return text }
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    let decimals = parts.count > 1 ? parts[1].count : 0
    if digits == 0 { return String(Int(rounded)) }
    if parts.count == 1 { text += "." }
    text += String(repeating: "0", count: max(0, digits - decimals))
    return text
}

/// Millions of operations per second, for tables.
func millions(_ opsPerSecond: Double) -> String {
    // Three significant digits or more: a network-bound engine does tens of thousands.
    let digits = opsPerSecond >= 1e7 ? 1 : opsPerSecond >= 1e6 ? 2 : opsPerSecond >= 1e5 ? 3 : 4
    return decimal(opsPerSecond / 1e6, digits: digits)
}
