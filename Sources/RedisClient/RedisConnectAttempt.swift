import NIOConcurrencyHelpers
import NIOCore

/// A connection attempt that can be abandoned: once cancelled, its channel is closed as soon as it
/// exists, which fails the handshake at once instead of at the connect deadline.
final class RedisConnectAttempt: Sendable {
    private struct State {
        var channel: (any Channel)?
        var isCancelled = false
    }

    private let state = NIOLockedValueBox(State())

    /// Closes the attempt's channel, now or when it connects.
    func cancel() {
        let channel = self.state.withLockedValue { state -> (any Channel)? in
            state.isCancelled = true
            return state.channel
        }
        channel?.close(promise: nil)
    }

    /// Records the channel; `false` when the attempt was already cancelled.
    func register(_ channel: any Channel) -> Bool {
        self.state.withLockedValue { state in
            state.channel = channel
            return !state.isCancelled
        }
    }
}
