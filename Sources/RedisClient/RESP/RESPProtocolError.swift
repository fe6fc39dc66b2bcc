/// Bytes from the server that are not valid RESP2, or exceed the decoder's limits.
///
/// A connection that sees one of these can no longer tell where the next reply starts, so it is
/// closed and every request waiting on it fails.
package struct RESPProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong, naming the offending bytes or length and what was expected.
    package let message: String

    package var description: String {
        "RESP protocol error: \(self.message)"
    }
}
