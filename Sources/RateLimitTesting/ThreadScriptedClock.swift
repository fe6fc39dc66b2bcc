import RateLimit

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A clock whose reading each thread sets for itself: every thread of a stress test can hand the
/// engine a reading of its choosing — a current one, or one from before what other threads have
/// already used, as a thread preempted between reading the clock and deciding would.
///
/// Like ``ScriptedClock``, it may move backwards on purpose; engines must treat an old reading as
/// "no time has passed" and never as a reason to admit more.
public final class ThreadScriptedClock: RateLimitClock, Sendable {
    private let key: pthread_key_t

    /// A clock reading `0` on every thread until the thread sets it.
    public init() {
        var key = pthread_key_t()
        let created = pthread_key_create(&key, nil)
        precondition(created == 0, "pthread_key_create failed: \(created)")
        self.key = key
    }

    deinit {
        pthread_key_delete(self.key)
    }

    /// The calling thread's reading.
    public func monotonicNanoseconds() -> Int64 {
        // Stored as a pointer-sized integer: no allocation per reading.
        Int64(Int(bitPattern: pthread_getspecific(self.key)))
    }

    /// Sets the calling thread's reading, forwards or backwards.
    public func set(_ nanoseconds: Int64) {
        pthread_setspecific(self.key, UnsafeRawPointer(bitPattern: Int(nanoseconds)))
    }
}
