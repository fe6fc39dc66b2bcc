import NIOCore

/// Writes Redis commands the way clients send them: an array of bulk strings.
///
/// `SET k v` becomes `*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n`. Lengths are written as ASCII
/// digits straight into the buffer, with no intermediate `String`.
package enum RESPEncoder {
    /// Writes a whole command: its name and arguments, each as a bulk string.
    package static func writeCommand(_ arguments: [String], into buffer: inout ByteBuffer) {
        Self.writeArrayHeader(count: arguments.count, into: &buffer)
        for argument in arguments {
            Self.writeBulkString(argument, into: &buffer)
        }
    }

    /// Writes `*count\r\n`, the header of an array of `count` values.
    package static func writeArrayHeader(count: Int, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "*"))
        Self.writeDecimal(count, into: &buffer)
        Self.writeCRLF(into: &buffer)
    }

    /// Writes `text` as a bulk string: `$length\r\nbytes\r\n`.
    package static func writeBulkString(_ text: String, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "$"))
        Self.writeDecimal(text.utf8.count, into: &buffer)
        Self.writeCRLF(into: &buffer)
        buffer.writeString(text)
        Self.writeCRLF(into: &buffer)
    }

    /// Writes `bytes` as a bulk string: `$length\r\nbytes\r\n`.
    package static func writeBulkString(_ bytes: some Collection<UInt8>, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "$"))
        Self.writeDecimal(bytes.count, into: &buffer)
        Self.writeCRLF(into: &buffer)
        buffer.writeBytes(bytes)
        Self.writeCRLF(into: &buffer)
    }

    /// Writes `value` as a bulk string of its decimal digits, as Redis expects numeric arguments.
    package static func writeBulkString(decimal value: Int, into buffer: inout ByteBuffer) {
        var digits = ByteBuffer()
        digits.reserveCapacity(20)
        Self.writeDecimal(value, into: &digits)
        Self.writeBulkString(digits.readableBytesView, into: &buffer)
    }

    /// Writes the decimal digits of `value`, with a leading `-` when negative.
    package static func writeDecimal(_ value: Int, into buffer: inout ByteBuffer) {
        if value < 0 { buffer.writeInteger(UInt8(ascii: "-")) }
        // The magnitude as unsigned, so that Int.min does not overflow.
        var magnitude = value.magnitude
        if magnitude == 0 {
            buffer.writeInteger(UInt8(ascii: "0"))
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0) // up to 24 ASCII digits, reversed
        var count = 0
        withUnsafeMutableBytes(of: &digits) { raw in
            while magnitude > 0 {
                raw[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            }
            for index in stride(from: count - 1, through: 0, by: -1) {
                buffer.writeInteger(raw[index])
            }
        }
    }

    private static func writeCRLF(into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt16(0x0D0A)) // "\r\n", big-endian by default
    }
}
