import CRateLimitShims

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

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
        self.lock()
        defer {
            let unlocked = pthread_mutex_unlock(self.pointer)
            precondition(unlocked == 0, "pthread_mutex_unlock failed: \(unlocked)")
        }
        return try body()
    }

    @inlinable
    func lock() {
        Interleaving.reach(.lock)
        #if RATELIMIT_INTERLEAVING
            if Interleaving.isControlled() {
                // Under an interleaving test only one thread runs at a time: a thread that finds the
                // lock held must let the holder run, so it waits as a scheduling point, not in the
                // kernel.
                let pointer = self.pointer
                while pthread_mutex_trylock(pointer) != 0 {
                    _ = Interleaving.wait(.lock, until: { PThreadMutex(pointer).isUnlocked })
                }
                return
            }
        #endif
        let locked = pthread_mutex_lock(self.pointer)
        precondition(locked == 0, "pthread_mutex_lock failed: \(locked)")
    }

    #if RATELIMIT_INTERLEAVING
        /// Whether no thread holds the lock, asked by an interleaving test's scheduler (never by a
        /// holder, which would see `EBUSY` and get `false`).
        @usableFromInline
        var isUnlocked: Bool {
            guard pthread_mutex_trylock(self.pointer) == 0 else { return false }
            pthread_mutex_unlock(self.pointer)
            return true
        }
    #endif
}
