/// A start line for real threads: ``wait()`` blocks until `count` threads have called it, then
/// releases all of them together, and the barrier is ready for the next round.
///
/// Built on a mutex and a condition variable, which every platform has: `pthread_barrier_t` does
/// not exist on Darwin. The last thread to arrive wakes all the others with one broadcast.
package final class ThreadBarrier: @unchecked Sendable {
    // @unchecked: `arrived` and `round` are only touched with `lock` held.
    private let lock = ConditionLock()
    private let count: Int
    private var arrived = 0
    private var round = 0

    /// A barrier for `count` threads, at least 1.
    package init(count: Int) {
        precondition(count >= 1, "a barrier needs at least one thread, got \(count)")
        self.count = count
    }

    /// Waits until `count` threads have arrived, this one included.
    package func wait() {
        self.lock.withLock {
            let round = self.round
            self.arrived += 1
            if self.arrived == self.count {
                self.arrived = 0
                self.round &+= 1
                self.lock.broadcast()
            } else {
                while self.round == round {
                    self.lock.wait()
                }
            }
        }
    }
}
