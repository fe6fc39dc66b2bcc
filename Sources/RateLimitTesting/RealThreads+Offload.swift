import RateLimit

extension RealThreads {
    /// Runs `body` on one of a few threads kept for blocking work, and suspends until it returns.
    ///
    /// Swift concurrency runs every task on a few shared threads — as many as there are cores. A
    /// test that blocks one of them for seconds (joining real threads, exploring interleavings)
    /// starves every async test beside it; offloaded, it only suspends. The pool has one thread per
    /// core (at least two; one under ThreadSanitizer), so offloaded work runs at most that many at a
    /// time, in the order it was offered, and never oversubscribes the machine however many tests
    /// offload at once.
    public static func offload<Result: Sendable>(_ body: @escaping @Sendable () -> Result) async -> Result {
        await withCheckedContinuation { (continuation: CheckedContinuation<Result, Never>) in
            OffloadPool.shared.submit { continuation.resume(returning: body()) }
        }
    }
}

/// The threads behind ``RealThreads/offload(_:)``: a FIFO queue of jobs under one lock.
private final class OffloadPool: @unchecked Sendable {
    // @unchecked: `jobs` and `next` are only touched with `lock` held.
    // One thread under ThreadSanitizer: its slowdown makes two jobs of real threads at once starve
    // the event loops of the async suites running beside them.
    static let shared = OffloadPool(
        threads: ThreadSanitizer.isActive ? 1 : max(2, RateLimiterDefaults.activeProcessorCount)
    )

    private let lock = ConditionLock()
    private var jobs: [@Sendable () -> Void] = []
    private var next = 0

    private init(threads: Int) {
        for _ in 0..<threads {
            JoinableThread { self.work() }.detach()
        }
    }

    func submit(_ job: @escaping @Sendable () -> Void) {
        self.lock.withLock {
            self.jobs.append(job)
            self.lock.signal()
        }
    }

    private func work() -> Never {
        while true {
            let job = self.lock.withLock {
                while self.next == self.jobs.count {
                    self.lock.wait()
                }
                let job = self.jobs[self.next]
                self.next += 1
                if self.next == self.jobs.count {
                    self.jobs.removeAll(keepingCapacity: true)
                    self.next = 0
                }
                return job
            }
            job()
        }
    }
}
