#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CRateLimitShims

/// A pthread mutex at a fixed address, for engines that place their locks in their own memory
/// (so that two shards never share a cache line).
///
/// pthread mutexes rather than `Synchronization.Mutex`: ThreadSanitizer models them, while on this
/// toolchain it reports false races inside `Mutex`, and TSan runs in CI on every engine.
@usableFromInline
struct PThreadMutex {
    @usableFromInline
    let pointer: UnsafeMutablePointer<pthread_mutex_t>

    @inlinable
    init(_ pointer: UnsafeMutablePointer<pthread_mutex_t>) {
        self.pointer = pointer
    }

    /// Initialises the (uninitialised) mutex at `pointer` as an adaptive mutex.
    static func initialize(at pointer: UnsafeMutablePointer<pthread_mutex_t>) {
        let result = crl_mutex_init(pointer)
        precondition(result == 0, "pthread_mutex_init failed: \(result)")
    }

    /// Destroys the mutex; it must be unlocked.
    func destroy() {
        let result = pthread_mutex_destroy(self.pointer)
        precondition(result == 0, "pthread_mutex_destroy failed: \(result)")
    }

    @inlinable
    func withLock<Result>(_ body: () throws -> Result) rethrows -> Result {
        let locked = pthread_mutex_lock(self.pointer)
        precondition(locked == 0, "pthread_mutex_lock failed: \(locked)")
        defer {
            let unlocked = pthread_mutex_unlock(self.pointer)
            precondition(unlocked == 0, "pthread_mutex_unlock failed: \(unlocked)")
        }
        return try body()
    }
}
