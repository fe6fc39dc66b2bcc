#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A pthread mutex and one condition variable on it: the blocking primitive of ``ThreadBarrier``
/// and the offload pool, available on every platform.
package final class ConditionLock: @unchecked Sendable {
    // @unchecked: the pointers are only used through pthread calls.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    package init() {
        pthread_mutex_init(self.mutex, nil)
        pthread_cond_init(self.condition, nil)
    }

    deinit {
        pthread_cond_destroy(self.condition)
        pthread_mutex_destroy(self.mutex)
        self.condition.deallocate()
        self.mutex.deallocate()
    }

    /// Runs `body` with the mutex held.
    package func withLock<Result>(_ body: () throws -> Result) rethrows -> Result {
        pthread_mutex_lock(self.mutex)
        defer { pthread_mutex_unlock(self.mutex) }
        return try body()
    }

    /// Releases the mutex until woken, then takes it again; call with the mutex held, in a loop
    /// that rechecks what it waits for (wake-ups may be spurious).
    func wait() {
        pthread_cond_wait(self.condition, self.mutex)
    }

    /// Wakes one waiter; call with the mutex held.
    func signal() {
        pthread_cond_signal(self.condition)
    }

    /// Wakes every waiter; call with the mutex held.
    func broadcast() {
        pthread_cond_broadcast(self.condition)
    }
}
