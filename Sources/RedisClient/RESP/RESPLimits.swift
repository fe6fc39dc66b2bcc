/// How large a reply the client accepts: each cap bounds what a broken or hostile server can make
/// the client allocate, buffer or recurse into.
///
/// The defaults are sized to what this client receives — the limiter's `EVALSHA` reply is one
/// array of 7 integers, a handshake reply is at most a 40-byte SHA-1 — with ample headroom.
/// A reply over any cap is a ``RESPProtocolError`` naming the cap, the value and the
/// setting that raises it (the rate limiter's `RedisConfiguration`).
package struct RESPLimits: Hashable, Sendable {
    /// The longest simple string, error or length line, in bytes (type byte and CRLF excluded).
    package var maximumLineLength: Int
    /// The longest bulk string, in bytes.
    package var maximumBulkLength: Int
    /// The most elements one array may declare.
    package var maximumArrayCount: Int
    /// How many arrays may nest: 1 allows an array of scalars, 2 an array of arrays of scalars.
    package var maximumDepth: Int

    /// The caps; the defaults suit a client that receives short replies.
    package init(
        maximumLineLength: Int = 4096,
        maximumBulkLength: Int = 64 * 1024,
        maximumArrayCount: Int = 16,
        maximumDepth: Int = 2
    ) {
        self.maximumLineLength = maximumLineLength
        self.maximumBulkLength = maximumBulkLength
        self.maximumArrayCount = maximumArrayCount
        self.maximumDepth = maximumDepth
    }

    /// The most bytes a decoder ever holds unparsed between two reads: the largest item that
    /// must be complete before it is parsed — a bulk payload or a line — with its CRLF (and type
    /// byte). Everything before such an item has been consumed already.
    package var maximumBufferedBytes: Int {
        max(self.maximumBulkLength, self.maximumLineLength + 1) + 2
    }
}
