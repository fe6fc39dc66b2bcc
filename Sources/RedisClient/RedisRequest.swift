import NIOConcurrencyHelpers
import NIOCore

/// One command on its way to Redis, and where its reply goes.
struct RedisRequest: Sendable {
    /// Where a reply is delivered: a waiting task (the hot path, no future allocated) or an
    /// `EventLoopPromise` (the handshake, which combines several replies).
    ///
    /// A continuation is resumed while holding its connection's *hand-off lock*, which the
    /// resumed task takes once before going on. The lock is uncontended in practice; it makes the
    /// hand-off visible to ThreadSanitizer, which cannot see the concurrency runtime's own
    /// synchronisation when a continuation is resumed before its task has finished suspending.
    enum Sink: Sendable {
        case continuation(UnsafeContinuation<RESPValue, any Error>, handOff: NIOLock)
        case promise(EventLoopPromise<RESPValue>)
    }

    /// The command, already RESP-encoded.
    let command: ByteBuffer
    let sink: Sink
    /// When the reply is overdue and the connection is given up.
    let deadline: NIODeadline

    /// Delivers the reply. Called exactly once per request.
    func succeed(_ reply: RESPValue) {
        switch self.sink {
        case .continuation(let continuation, let handOff): handOff.withLock { continuation.resume(returning: reply) }
        case .promise(let promise): promise.succeed(reply)
        }
    }

    /// Delivers the failure. Called exactly once per request.
    func fail(_ error: RedisClientError) {
        switch self.sink {
        case .continuation(let continuation, let handOff): handOff.withLock { continuation.resume(throwing: error) }
        case .promise(let promise): promise.fail(error)
        }
    }
}
