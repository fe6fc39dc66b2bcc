import NIOConcurrencyHelpers
import NIOCore

extension EventLoopFuture where Value: Sendable {
    /// The future's value, awaited — like NIO's `get()`, but resuming the waiting task under a
    /// lock that the task then takes once.
    ///
    /// When a future completes before its waiter has finished suspending, the concurrency
    /// runtime hands the task over through atomics that ThreadSanitizer cannot see, and TSan
    /// reports a race on the task's own frame. The lock makes the hand-off visible; it costs one
    /// uncontended lock on each side, on paths (connecting, reloading the script, closing) that
    /// are not per decision.
    package func handedOffValue() async throws -> Value {
        let handOff = NIOLock()
        let result: Result<Value, any Error> = await withUnsafeContinuation { continuation in
            self.whenComplete { result in
                handOff.withLock { continuation.resume(returning: result) }
            }
        }
        handOff.withLock {}
        return try result.get()
    }
}
