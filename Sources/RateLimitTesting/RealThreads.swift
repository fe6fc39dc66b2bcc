#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import RateLimit

/// Runs work on real operating-system threads — not Swift tasks, which share a small pool — so
/// that a stress test gets as many truly concurrent, preemptible threads as it asks for.
public enum RealThreads {
    /// Starts `count` threads, releases them together from a barrier, runs `body(index)` on each and
    /// returns when all have finished. What each thread wrote happens before the return.
    ///
    /// - Parameters:
    ///   - count: Threads to start, at least 1.
    ///   - body: The work of thread `index`, in `0..<count`.
    public static func run(_ count: Int, _ body: @escaping @Sendable (_ index: Int) -> Void) {
        precondition(count >= 1, "thread count must be at least 1, got \(count)")
        let barrier = UnsafeMutablePointer<pthread_barrier_t>.allocate(capacity: 1)
        precondition(pthread_barrier_init(barrier, nil, UInt32(count)) == 0)
        defer {
            pthread_barrier_destroy(barrier)
            barrier.deallocate()
        }
        var threads: [pthread_t] = []
        threads.reserveCapacity(count)
        for index in 0..<count {
            let context = Unmanaged.passRetained(ThreadContext(index: index, barrier: barrier, body: body))
            var thread = pthread_t()
            let created = pthread_create(&thread, nil, { raw in
                let context = Unmanaged<ThreadContext>.fromOpaque(raw!).takeRetainedValue()
                // A thread that reaches the barrier waits until all have: they start together.
                pthread_barrier_wait(context.barrier)
                context.body(context.index)
                return nil
            }, context.toOpaque())
            precondition(created == 0, "pthread_create failed: \(created)")
            threads.append(thread)
        }
        for thread in threads {
            pthread_join(thread, nil)
        }
    }

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

    private final class ThreadContext: @unchecked Sendable {
        // @unchecked: the barrier pointer is only used through pthread_barrier_wait.
        let index: Int
        let barrier: UnsafeMutablePointer<pthread_barrier_t>
        let body: @Sendable (Int) -> Void

        init(index: Int, barrier: UnsafeMutablePointer<pthread_barrier_t>, body: @escaping @Sendable (Int) -> Void) {
            self.index = index
            self.barrier = barrier
            self.body = body
        }
    }
}

/// One result slot per thread: each thread writes only its own slot, and ``RealThreads/run(_:_:)``
/// joins the threads before anyone reads, so no slot is ever read while written.
public final class PerThreadResults<Value: Sendable>: @unchecked Sendable {
    // @unchecked: see above — disjoint writes, reads after join.
    private let slots: UnsafeMutableBufferPointer<Value>

    /// Creates `count` slots, each holding `initial`.
    public init(count: Int, initial: Value) {
        self.slots = .allocate(capacity: count)
        self.slots.initialize(repeating: initial)
    }

    deinit {
        self.slots.deinitialize()
        self.slots.deallocate()
    }

    /// Updates thread `index`'s slot; call only from that thread.
    public func update(_ index: Int, _ body: (inout Value) -> Void) {
        body(&self.slots[index])
    }

    /// Every slot, after the threads have been joined.
    public var all: [Value] {
        Array(self.slots)
    }
}

/// The threads behind ``RealThreads/offload(_:)``: a FIFO queue of jobs under a pthread mutex.
private final class OffloadPool: @unchecked Sendable {
    // @unchecked: `jobs` is only touched with `mutex` held.
    // One thread under ThreadSanitizer: its slowdown makes two jobs of real threads at once starve
    // the event loops of the async suites running beside them.
    static let shared = OffloadPool(threads: ThreadSanitizer.isActive ? 1 : max(2, RateLimiterDefaults.activeProcessorCount))

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var jobs: [@Sendable () -> Void] = []
    private var next = 0

    private init(threads: Int) {
        pthread_mutex_init(self.mutex, nil)
        pthread_cond_init(self.condition, nil)
        for _ in 0..<threads {
            var thread = pthread_t()
            let created = pthread_create(&thread, nil, { raw in
                Unmanaged<OffloadPool>.fromOpaque(raw!).takeUnretainedValue().work()
                return nil
            }, Unmanaged.passUnretained(self).toOpaque())
            precondition(created == 0, "pthread_create failed: \(created)")
            pthread_detach(thread)
        }
    }

    func submit(_ job: @escaping @Sendable () -> Void) {
        pthread_mutex_lock(self.mutex)
        self.jobs.append(job)
        pthread_cond_signal(self.condition)
        pthread_mutex_unlock(self.mutex)
    }

    private func work() -> Never {
        while true {
            pthread_mutex_lock(self.mutex)
            while self.next == self.jobs.count {
                pthread_cond_wait(self.condition, self.mutex)
            }
            let job = self.jobs[self.next]
            self.next += 1
            if self.next == self.jobs.count {
                self.jobs.removeAll(keepingCapacity: true)
                self.next = 0
            }
            pthread_mutex_unlock(self.mutex)
            job()
        }
    }
}
