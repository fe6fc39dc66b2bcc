import NIOCore

/// Reads RESP2 replies incrementally: it keeps its place across reads and resumes where it
/// stopped, so that a reply arriving in many pieces is read once, not once per piece.
///
/// `parse` consumes every complete item it reads — a line, a bulk string, an array header —
/// into its own state (the arrays still open, the bulk string whose header it has read, how far
/// the current line has been scanned), and returns a value only when a whole reply is complete.
/// What stays in the buffer between calls is at most one unfinished item, which the
/// ``RESPLimits`` bound; a declared length or count over a cap is rejected at its header, before
/// any of what it announces is read or buffered. After a throw the parser is unusable: the
/// connection can no longer tell where the next reply starts.
///
/// - Complexity: O(n) over the n bytes of a reply however it is split: each byte is scanned
///   once for its line's end and decoded or copied once, plus at most one CR re-read per call
///   (the CR of a CRLF split between two reads). A bulk payload is only counted until it is
///   complete, in O(1) per call.
package struct RESPParser: Sendable {
    /// The caps applied to each reply.
    package let limits: RESPLimits
    /// Where the work is counted, if anywhere (tests).
    package let statistics: RESPDecoderStatistics?

    /// An array whose header has been read, with the elements read so far.
    private struct OpenArray: Sendable {
        var remaining: Int
        var elements: [RESPValue]
    }

    /// The arrays begun and not complete, outermost first; never more than `maximumDepth`.
    private var open: [OpenArray] = []
    /// The length of a bulk string whose header was consumed: its payload and CRLF are awaited.
    private var bulkLength: Int?
    /// How many bytes of the line at the reader index (type byte included) were scanned and hold
    /// no CR or LF: scanning resumes there.
    var scanned = 0

    package init(limits: RESPLimits = RESPLimits(), statistics: RESPDecoderStatistics? = nil) {
        self.limits = limits
        self.statistics = statistics
    }

    /// Whether part of a reply has been consumed and the rest is awaited.
    package var isInsideReply: Bool {
        !self.open.isEmpty || self.bulkLength != nil
    }

    /// Reads on from the front of `buffer`: returns the next complete reply, or `nil` once every
    /// byte available has been read into the parser's state and more are needed.
    package mutating func parse(_ buffer: inout ByteBuffer) throws(RESPProtocolError) -> RESPValue? {
        var examined = 0
        defer { self.statistics?.recordParse(examined: examined) }
        while true {
            let value: RESPValue
            if let length = self.bulkLength {
                guard let payload = try self.bulkPayload(length: length, from: &buffer, examined: &examined) else {
                    return nil
                }
                value = payload
            } else {
                guard let (type, line) = try self.line(from: &buffer, examined: &examined) else { return nil }
                examined += line.readableBytes
                // `nil`: a header that opened an array or a bulk string; read on.
                guard let item = try self.item(type: type, line: line.readableBytesView) else { continue }
                value = item
            }
            if let reply = self.append(value) { return reply }
        }
    }

    /// Adds a complete value to the innermost open array, closing every array it completes;
    /// returns the whole reply once no array is left open.
    private mutating func append(_ value: RESPValue) -> RESPValue? {
        var value = value
        while !self.open.isEmpty {
            let innermost = self.open.count - 1
            self.open[innermost].elements.append(value)
            self.open[innermost].remaining -= 1
            guard self.open[innermost].remaining == 0 else { return nil }
            value = .array(self.open.removeLast().elements)
        }
        return value
    }

    /// The value of a complete line, or `nil` after a header that opened an array or a bulk
    /// string (checked against the caps first).
    private mutating func item(type: UInt8, line: ByteBufferView) throws(RESPProtocolError) -> RESPValue? {
        switch type {
        case UInt8(ascii: "+"):
            return .simpleString(String(decoding: line, as: UTF8.self))
        case UInt8(ascii: "-"):
            return .error(String(decoding: line, as: UTF8.self))
        case UInt8(ascii: ":"):
            return .integer(try Self.integer(line, what: "integer reply"))
        case UInt8(ascii: "$"):
            let length = try Self.integer(line, what: "bulk string length")
            if length == -1 { return .bulkString(nil) }
            let cap = self.limits.maximumBulkLength
            guard length >= 0, length <= cap else {
                throw RESPProtocolError(
                    message: "bulk string length \(length): must be -1 or in 0...\(cap) "
                        + "(RedisConfiguration.maximumReplyBulkLength)"
                )
            }
            self.bulkLength = Int(length)
            return nil
        default: // '*': `line(from:)` admits only the five type bytes
            let count = try Self.integer(line, what: "array length")
            if count == -1 { return .array(nil) }
            let cap = self.limits.maximumArrayCount
            guard count >= 0, count <= cap else {
                throw RESPProtocolError(
                    message: "array length \(count): must be -1 or in 0...\(cap) "
                        + "(RedisConfiguration.maximumReplyArrayLength)"
                )
            }
            guard self.open.count < self.limits.maximumDepth else {
                throw RESPProtocolError(
                    message: "arrays nested deeper than \(self.limits.maximumDepth) levels "
                        + "(RedisConfiguration.maximumReplyDepth)"
                )
            }
            if count == 0 { return .array([]) }
            // The count is capped, so reserving it is bounded too.
            self.open.append(OpenArray(remaining: Int(count), elements: []))
            self.open[self.open.count - 1].elements.reserveCapacity(Int(count))
            return nil
        }
    }

    /// A bulk string's payload once it and its CRLF are all in `buffer`, consumed; `nil` before.
    private mutating func bulkPayload(length: Int, from buffer: inout ByteBuffer, examined: inout Int)
        throws(RESPProtocolError) -> RESPValue?
    {
        guard buffer.readableBytes >= length + 2 else { return nil }
        examined += length + 2
        let bytes = buffer.readBytes(length: length) ?? []
        guard buffer.readInteger(as: UInt16.self) == 0x0D0A else {
            throw RESPProtocolError(message: "bulk string of \(length) bytes not followed by CRLF")
        }
        self.bulkLength = nil
        return .bulkString(bytes)
    }

    static func render(_ byte: UInt8) -> String {
        byte >= 0x20 && byte < 0x7F
            ? "'\(Character(Unicode.Scalar(byte)))'" : "0x" + String(byte, radix: 16, uppercase: true)
    }
}
