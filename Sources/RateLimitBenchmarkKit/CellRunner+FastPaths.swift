import RateLimit
import RateLimitTesting

// The workloads of an engine's fast paths (`FastPathRateLimiter`): decisions at a reading taken
// once per batch, and through a handle.
extension CellRunner {
    /// Measures `limiter` on a fast-path workload, or on any other as ``measure(_:limiter:keys:)``
    /// does. Generic over the concrete engine, so that its fast paths are inlined into the loop.
    static func measure<Limiter: FastPathRateLimiter>(
        _ cell: CellConfiguration,
        fastPaths limiter: Limiter,
        keys: [Limiter.Key]
    ) -> RepetitionMeasurement {
        guard cell.workload.usesFastPaths else {
            return self.measure(cell, limiter: limiter, keys: keys)
        }
        let key = keys[0]
        // Track the key first, so that the handle remembers where its bucket is.
        _ = limiter.acquire(key)
        let statisticsBefore = limiter.statistics
        let work: @Sendable (Int, StopFlag, PerThreadResults<WorkerTally>) -> Void
        if cell.workload == .hotAllowAt {
            work = { thread, stop, results in
                results.update(thread) { tally in
                    var reading = limiter.now()
                    self.loop(cell, thread, stop: stop, tally: &tally) { operation in
                        // What a caller deciding a batch of requests at once does: one reading for
                        // the batch, as the floor row does on this workload.
                        if operation & (Self.batch - 1) == 0 { reading = limiter.now() }
                        return limiter.acquire(key, cost: 1, at: reading)
                    }
                }
            }
        } else {
            let handle = limiter.handle(for: key)
            work = { thread, stop, results in
                results.update(thread) { tally in
                    self.loop(cell, thread, stop: stop, tally: &tally) { _ in limiter.acquire(handle, cost: 1) }
                }
            }
        }
        return self.measure(cell, work: work, bounded: limiter, before: statisticsBefore)
    }
}
