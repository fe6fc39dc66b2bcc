#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Real threads for one measurement: they start together behind a barrier that the measuring
/// thread also waits on, so the cell's clock starts only when every worker is ready, and they run
/// until the measuring thread raises the stop flag.
final class WorkerGroup: @unchecked Sendable {
    // @unchecked: the barrier is used only through pthread calls; `stop` is atomic.
    private let barrier: UnsafeMutablePointer<pthread_barrier_t>
    private var threads: [pthread_t] = []
    private let count: Int
    /// Raised once by the measuring thread; workers poll it every few dozen operations.
    let stop = Atomic<Bool>(false)

    init(count: Int) {
        self.count = count
        self.barrier = .allocate(capacity: 1)
        pthread_barrier_init(self.barrier, nil, UInt32(count + 1))
    }

    deinit {
        pthread_barrier_destroy(self.barrier)
        self.barrier.deallocate()
    }

    /// Starts the workers; each waits at the barrier before running `body(index)`.
    func start(_ body: @escaping @Sendable (Int) -> Void) {
        for index in 0..<self.count {
            let context = Unmanaged.passRetained(Context(group: self, index: index, body: body))
            var thread = pthread_t()
            let created = pthread_create(&thread, nil, { raw in
                let context = Unmanaged<Context>.fromOpaque(raw!).takeRetainedValue()
                pthread_barrier_wait(context.group.barrier)
                context.body(context.index)
                return nil
            }, context.toOpaque())
            precondition(created == 0, "pthread_create failed: \(created)")
            self.threads.append(thread)
        }
    }

    /// Releases the workers (call from the measuring thread) once all of them are ready.
    func release() {
        pthread_barrier_wait(self.barrier)
    }

    /// Raises the stop flag and waits for every worker to finish.
    func stopAndJoin() {
        // Relaxed: the join below orders everything the workers did before it.
        self.stop.store(true, ordering: .relaxed)
        for thread in self.threads {
            pthread_join(thread, nil)
        }
    }

    private final class Context: @unchecked Sendable {
        let group: WorkerGroup
        let index: Int
        let body: @Sendable (Int) -> Void

        init(group: WorkerGroup, index: Int, body: @escaping @Sendable (Int) -> Void) {
            self.group = group
            self.index = index
            self.body = body
        }
    }
}
