import NIOCore

/// Reads RESP2 replies from bytes, one whole value at a time.
///
/// `parse` either returns a complete value and consumes exactly its bytes, returns `nil` and
/// consumes nothing when the bytes end before the value does (a short read: wait for more), or
/// throws when the bytes can never form a valid reply. Limits on line length, bulk length, array
/// size and nesting depth keep a broken or hostile peer from making the client allocate without
/// bound or recurse deeply.
struct RESPParser: Sendable {
    /// The longest simple string, error or length line accepted, in bytes.
    var maximumLineLength = 64 * 1024
    /// The longest bulk string accepted, in bytes.
    var maximumBulkLength = 64 * 1024 * 1024
    /// The most elements one array may declare.
    var maximumArrayCount = 1 << 20
    /// How deeply arrays may nest.
    var maximumDepth = 32

    /// Parses one value from the front of `buffer`.
    func parse(_ buffer: inout ByteBuffer) throws(RESPProtocolError) -> RESPValue? {
        let view = buffer.readableBytesView
        var index = view.startIndex
        guard let value = try self.value(in: view, at: &index, depth: 0) else { return nil }
        buffer.moveReaderIndex(forwardBy: index - view.startIndex)
        return value
    }

    private func value(in view: ByteBufferView, at index: inout Int, depth: Int) throws(RESPProtocolError) -> RESPValue? {
        guard index < view.endIndex else { return nil }
        let type = view[index]
        var cursor = index + 1
        guard let line = try self.line(in: view, at: &cursor) else { return nil }
        let result: RESPValue
        switch type {
        case UInt8(ascii: "+"):
            result = .simpleString(String(decoding: view[line], as: UTF8.self))
        case UInt8(ascii: "-"):
            result = .error(String(decoding: view[line], as: UTF8.self))
        case UInt8(ascii: ":"):
            result = .integer(try Self.integer(view[line], what: "integer reply"))
        case UInt8(ascii: "$"):
            let length = try Self.integer(view[line], what: "bulk string length")
            if length == -1 {
                result = .bulkString(nil)
                break
            }
            guard length >= 0, length <= self.maximumBulkLength else {
                throw RESPProtocolError(message: "bulk string length \(length): must be -1 or in 0...\(self.maximumBulkLength)")
            }
            let end = cursor + Int(length)
            guard end + 2 <= view.endIndex else { return nil }
            guard view[end] == UInt8(ascii: "\r"), view[end + 1] == UInt8(ascii: "\n") else {
                throw RESPProtocolError(message: "bulk string of \(length) bytes not followed by CRLF")
            }
            result = .bulkString(Array(view[cursor..<end]))
            cursor = end + 2
        case UInt8(ascii: "*"):
            let count = try Self.integer(view[line], what: "array length")
            if count == -1 {
                result = .array(nil)
                break
            }
            guard count >= 0, count <= self.maximumArrayCount else {
                throw RESPProtocolError(message: "array length \(count): must be -1 or in 0...\(self.maximumArrayCount)")
            }
            guard depth < self.maximumDepth else {
                throw RESPProtocolError(message: "arrays nested deeper than \(self.maximumDepth) levels")
            }
            var elements: [RESPValue] = []
            // Reserve only what the bytes at hand could hold (3 bytes per element at least), so a
            // bogus count cannot allocate a large array before its elements arrive.
            elements.reserveCapacity(min(Int(count), (view.endIndex - cursor) / 3))
            for _ in 0..<count {
                guard let element = try self.value(in: view, at: &cursor, depth: depth + 1) else { return nil }
                elements.append(element)
            }
            result = .array(elements)
        default:
            throw RESPProtocolError(message: "unexpected type byte \(Self.render(type)): a RESP2 reply starts with one of + - : $ *")
        }
        index = cursor
        return result
    }

    /// The range of the line starting at `index` (without its CRLF), advancing `index` past the
    /// CRLF; `nil` when the line is not complete yet.
    private func line(in view: ByteBufferView, at index: inout Int) throws(RESPProtocolError) -> Range<Int>? {
        let start = index
        let searchEnd = min(view.endIndex, start + self.maximumLineLength + 2)
        var position = start
        while position < searchEnd {
            let byte = view[position]
            if byte == UInt8(ascii: "\r") {
                guard position + 1 < view.endIndex else { return nil }
                guard view[position + 1] == UInt8(ascii: "\n") else {
                    throw RESPProtocolError(message: "CR followed by \(Self.render(view[position + 1])) instead of LF")
                }
                index = position + 2
                return start..<position
            }
            if byte == UInt8(ascii: "\n") {
                throw RESPProtocolError(message: "LF without CR in a line")
            }
            position += 1
        }
        if searchEnd - start > self.maximumLineLength {
            throw RESPProtocolError(message: "a line longer than \(self.maximumLineLength) bytes")
        }
        return nil
    }

    /// Parses a decimal integer strictly: an optional `-`, then 1 to 19 digits, no overflow.
    private static func integer(_ bytes: ByteBufferView.SubSequence, what: String) throws(RESPProtocolError) -> Int64 {
        var digits = bytes[...]
        let negative = digits.first == UInt8(ascii: "-")
        if negative { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.count <= 19 else {
            throw RESPProtocolError(message: "\(what) \"\(String(decoding: bytes, as: UTF8.self))\": expected a decimal integer")
        }
        var value: Int64 = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                throw RESPProtocolError(message: "\(what) \"\(String(decoding: bytes, as: UTF8.self))\": expected a decimal integer")
            }
            let (scaled, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = scaled.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else {
                throw RESPProtocolError(message: "\(what) \"\(String(decoding: bytes, as: UTF8.self))\": outside the 64-bit range")
            }
            value = sum
        }
        return negative ? -value : value
    }

    private static func render(_ byte: UInt8) -> String {
        byte >= 0x20 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : "0x" + String(byte, radix: 16, uppercase: true)
    }
}

/// The NIO decoder that turns a connection's inbound bytes into ``RESPValue``s.
///
/// Bytes left over when the connection closes are a reply cut short; they are reported as an
/// error rather than dropped silently.
struct RESPDecoder: ByteToMessageDecoder {
    typealias InboundOut = RESPValue

    /// The limits applied to each reply.
    let parser: RESPParser

    init(parser: RESPParser = RESPParser()) {
        self.parser = parser
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let value = try self.parser.parse(&buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(value))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        let state = try self.decode(context: context, buffer: &buffer)
        if state == .needMoreData, buffer.readableBytes > 0 {
            let count = buffer.readableBytes
            buffer.moveReaderIndex(forwardBy: count)
            throw RESPProtocolError(message: "the connection closed in the middle of a reply (\(count) bytes left unparsed)")
        }
        return state
    }
}
