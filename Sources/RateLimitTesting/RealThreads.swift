#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

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
        let group = Group(count: count, body)
        group.release()
        group.join()
    }

    /// Real threads behind one start line: each waits at a barrier until the caller reaches it
    /// too (``release()``), so that all of them start together and the caller knows when.
    package final class Group: Sendable {
        private let barrier: ThreadBarrier
        private let threads: [JoinableThread]

        /// Starts `count` threads (at least 1), each running `prepare(index)`, then waiting for
        /// ``release()`` before it runs `body(index)`.
        ///
        /// - Parameter prepare: Set-up that must not count as the run, such as pinning the thread
        ///   to a CPU; ``release()`` returns only after every thread has finished it.
        package init(
            count: Int,
            prepare: @escaping @Sendable (_ index: Int) -> Void = { _ in },
            _ body: @escaping @Sendable (_ index: Int) -> Void
        ) {
            precondition(count >= 1, "thread count must be at least 1, got \(count)")
            let barrier = ThreadBarrier(count: count + 1)
            self.barrier = barrier
            self.threads = (0..<count).map { index in
                JoinableThread {
                    prepare(index)
                    barrier.wait()
                    body(index)
                }
            }
        }

        /// Returns once every thread has reached the start line, releasing all of them at once.
        package func release() {
            self.barrier.wait()
        }

        /// Waits for every thread to finish; what they wrote happens before the return.
        package func join() {
            for thread in self.threads {
                thread.join()
            }
        }
    }
}

/// One pthread, started at once and joined exactly once (or detached).
struct JoinableThread: @unchecked Sendable {
    // @unchecked: a pthread handle is a plain value on Linux and an opaque pointer on Darwin.
    private let handle: pthread_t

    /// Starts a thread running `body`.
    init(_ body: @escaping @Sendable () -> Void) {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        // Darwin's handle is an optional pointer and its start routine takes a non-optional one;
        // glibc's handle is an integer and its start routine takes an optional pointer.
        #if canImport(Darwin)
            var handle: pthread_t?
            let created = pthread_create(&handle, nil, { context in Body.run(context) }, context)
        #else
            var handle = pthread_t()
            let created = pthread_create(&handle, nil, { context in Body.run(context!) }, context)
        #endif
        precondition(created == 0, "pthread_create failed: \(created)")
        #if canImport(Darwin)
            self.handle = handle!
        #else
            self.handle = handle
        #endif
    }

    func join() {
        pthread_join(self.handle, nil)
    }

    func detach() {
        pthread_detach(self.handle)
    }

    private final class Body {
        let body: @Sendable () -> Void

        init(_ body: @escaping @Sendable () -> Void) {
            self.body = body
        }

        static func run(_ context: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer? {
            Unmanaged<Body>.fromOpaque(context).takeRetainedValue().body()
            return nil
        }
    }
}
