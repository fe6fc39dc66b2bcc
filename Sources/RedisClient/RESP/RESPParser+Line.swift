import NIOCore

extension RESPParser {
    /// The line at the front of `buffer` — its type byte and its content without the CRLF —
    /// consumed; `nil` when its CRLF has not arrived yet, having recorded how far it scanned.
    ///
    /// The type byte is checked as soon as it arrives and the length as each byte does, so
    /// garbage and overlong lines are rejected without waiting for a CRLF that may never come.
    ///
    /// - Complexity: O(new bytes): scanning resumes where the previous call stopped.
    mutating func line(from buffer: inout ByteBuffer, examined: inout Int) throws(RESPProtocolError) -> (
        type: UInt8, content: ByteBuffer
    )? {
        let view = buffer.readableBytesView
        guard let type = view.first else { return nil }
        if self.scanned == 0 {
            examined += 1
            switch type {
            case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "$"), UInt8(ascii: "*"): break
            default:
                throw RESPProtocolError(
                    message: "unexpected type byte \(Self.render(type)): a RESP2 reply starts with one of + - : $ *")
            }
            self.scanned = 1
        }
        let start = view.startIndex
        var position = start + self.scanned
        while position < view.endIndex {
            let byte = view[position]
            examined += 1
            if byte == UInt8(ascii: "\r") {
                // A CR as the last byte: read it again with the next bytes rather than keep a flag.
                guard position + 1 < view.endIndex else { break }
                examined += 1
                guard view[position + 1] == UInt8(ascii: "\n") else {
                    throw RESPProtocolError(message: "CR followed by \(Self.render(view[position + 1])) instead of LF")
                }
                self.scanned = 0
                buffer.moveReaderIndex(forwardBy: 1)
                let content = buffer.readSlice(length: position - start - 1) ?? ByteBuffer()
                buffer.moveReaderIndex(forwardBy: 2)
                return (type, content)
            }
            if byte == UInt8(ascii: "\n") {
                throw RESPProtocolError(message: "LF without CR in a line")
            }
            // This byte makes the content `position - start` bytes long.
            if position - start > self.limits.maximumLineLength {
                throw RESPProtocolError(
                    message: "a line longer than \(self.limits.maximumLineLength) bytes "
                        + "(RedisConfiguration.maximumReplyLineLength)"
                )
            }
            position += 1
        }
        self.scanned = position - start
        return nil
    }

    /// Parses a decimal integer strictly: an optional `-`, then 1 to 19 digits, no overflow.
    static func integer(_ bytes: ByteBufferView, what: String) throws(RESPProtocolError) -> Int64 {
        var digits = bytes[...]
        let negative = digits.first == UInt8(ascii: "-")
        if negative { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.count <= 19 else {
            throw RESPProtocolError(
                message: "\(what) \"\(String(decoding: bytes, as: UTF8.self))\": expected a decimal integer")
        }
        // Accumulated as a negative number, whose range reaches one further: Int64.min parses.
        var value: Int64 = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                throw RESPProtocolError(
                    message: "\(what) \"\(String(decoding: bytes, as: UTF8.self))\": expected a decimal integer")
            }
            let (scaled, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = scaled.subtractingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else {
                throw RESPProtocolError(
                    message: "\(what) \"\(String(decoding: bytes, as: UTF8.self))\": outside the 64-bit range")
            }
            value = sum
        }
        if negative { return value }
        guard value != .min else {
            throw RESPProtocolError(
                message: "\(what) \"\(String(decoding: bytes, as: UTF8.self))\": outside the 64-bit range")
        }
        return -value
    }
}
