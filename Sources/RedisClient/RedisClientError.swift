/// Why a command got no usable reply from Redis. A rate limiter turns these into its failure
/// policy's decision; the ``Reason`` becomes the `reason` dimension of its failure metric.
package struct RedisClientError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure, also used as a metric dimension.
    package enum Reason: String, Hashable, Sendable {
        /// No reply within the command timeout (only that request fails; the connection is
        /// replaced after several in a row).
        case timeout
        /// No connection: refused, reset, closed, still reconnecting, or the handshake failed.
        case connection
        /// Redis answered with an error reply (`BUSY`, `LOADING`, `OOM`, a script error, …).
        case server
        /// Redis answered with bytes that are not valid RESP2, or with a reply of the wrong shape.
        case `protocol`
        /// The limiter was shut down.
        case shutdown
    }

    /// The kind of failure.
    package let reason: Reason
    /// What happened, for logs.
    package let message: String

    package init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    package var description: String {
        "\(self.reason): \(self.message)"
    }

    /// Wraps any error from the connection layer.
    package static func wrapping(_ error: any Error) -> RedisClientError {
        switch error {
        case let error as RedisClientError: error
        case let error as RESPProtocolError: RedisClientError(.protocol, error.description)
        default: RedisClientError(.connection, "\(error)")
        }
    }
}
