import NIOCore
import NIOEmbedded
import Testing

@testable import RedisClient

/// The RESP2 decoder on its own: every type, replies split at every byte, and malformed input.
@Suite("RESP parser")
struct RESPParserTests {
    private func parse(_ text: String, parser: RESPParser = RESPParser()) throws(RESPProtocolError) -> (RESPValue?, Int)
    {
        var parser = parser
        var buffer = ByteBuffer(string: text)
        let value = try parser.parse(&buffer)
        return (value, buffer.readableBytes)
    }

    @Test(
        "every RESP2 type",
        arguments: [
            ("+OK\r\n", RESPValue.simpleString("OK")),
            ("+\r\n", .simpleString("")),
            ("-ERR wrong number of arguments\r\n", .error("ERR wrong number of arguments")),
            (":0\r\n", .integer(0)),
            (":-42\r\n", .integer(-42)),
            (":9223372036854775807\r\n", .integer(.max)),
            (":-9223372036854775807\r\n", .integer(-Int64.max)),
            (":-9223372036854775808\r\n", .integer(.min)),
            ("$5\r\nhello\r\n", .bulkString("hello")),
            ("$0\r\n\r\n", .bulkString([])),
            ("$-1\r\n", .bulkString(nil)),
            ("$4\r\na\r\nb\r\n", .bulkString("a\r\nb")),
            ("*0\r\n", .array([])),
            ("*-1\r\n", .array(nil)),
            (
                "*3\r\n:1\r\n$-1\r\n*2\r\n+a\r\n-b\r\n",
                .array([.integer(1), .bulkString(nil), .array([.simpleString("a"), .error("b")])])
            ),
        ])
    func types(text: String, expected: RESPValue) throws {
        let (value, left) = try self.parse(text)
        #expect(value == expected)
        #expect(left == 0)
    }

    @Test("a reply split anywhere: the parser keeps its place and finishes with the rest")
    func shortReads() throws {
        let text = "*4\r\n$6\r\nfoobar\r\n:-7\r\n*2\r\n+OK\r\n$-1\r\n-ERR x\r\n"
        let expected = RESPValue.array([
            .bulkString("foobar"), .integer(-7), .array([.simpleString("OK"), .bulkString(nil)]), .error("ERR x"),
        ])
        let bytes = Array(text.utf8)
        for cut in 0..<bytes.count {
            var parser = RESPParser()
            var buffer = ByteBuffer(bytes: bytes[..<cut])
            #expect(try parser.parse(&buffer) == nil, "cut at \(cut) parsed")
            buffer.writeBytes(bytes[cut...])
            #expect(try parser.parse(&buffer) == expected, "cut at \(cut)")
            #expect(buffer.readableBytes == 0 && !parser.isInsideReply, "cut at \(cut) left bytes or state behind")
        }
        // One byte at a time.
        var parser = RESPParser()
        var buffer = ByteBuffer()
        var parsed: [RESPValue] = []
        for byte in bytes {
            buffer.writeInteger(byte)
            if let value = try parser.parse(&buffer) { parsed.append(value) }
        }
        #expect(parsed == [expected])
        // Two replies back to back: one at a time, each consuming exactly its bytes.
        buffer = ByteBuffer(bytes: bytes + Array(":5\r\n".utf8))
        parser = RESPParser()
        #expect(try parser.parse(&buffer) == expected)
        #expect(buffer.readableBytes == 4)
        #expect(try parser.parse(&buffer) == .integer(5))
        #expect(try parser.parse(&buffer) == nil)
    }

    @Test(
        "malformed replies are errors that name the problem",
        arguments: [
            ("!oops\r\n", "unexpected type byte '!'"),
            ("%1\r\n", "unexpected type byte '%'"),
            (":12a\r\n", "expected a decimal integer"),
            (":\r\n", "expected a decimal integer"),
            (":-\r\n", "expected a decimal integer"),
            (":99999999999999999999\r\n", "expected a decimal integer"),
            (":9223372036854775808\r\n", "outside the 64-bit range"),
            (":-9223372036854775809\r\n", "outside the 64-bit range"),
            ("$-2\r\n", "bulk string length -2"),
            ("$3\r\nabcd\r\n", "not followed by CRLF"),
            ("*-5\r\n", "array length -5"),
            ("+OK\rX", "CR followed by 'X'"),
            ("+O\nK\r\n", "LF without CR"),
            ("$x\r\n", "bulk string length \"x\""),
        ])
    func malformed(text: String, message: String) {
        #expect {
            _ = try self.parse(text)
        } throws: { error in
            (error as? RESPProtocolError)?.message.contains(message) == true
        }
    }

    @Test("limits: line length, bulk length, array size, nesting depth, each named with its value and cap")
    func limits() throws {
        let limits = RESPLimits(maximumLineLength: 16, maximumBulkLength: 8, maximumArrayCount: 4, maximumDepth: 3)
        for (text, message) in [
            (
                "+" + String(repeating: "a", count: 40),
                "a line longer than 16 bytes (RedisConfiguration.maximumReplyLineLength)"
            ),
            ("$9\r\n", "bulk string length 9: must be -1 or in 0...8 (RedisConfiguration.maximumReplyBulkLength)"),
            ("*5\r\n", "array length 5: must be -1 or in 0...4 (RedisConfiguration.maximumReplyArrayLength)"),
            (
                "*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n",
                "arrays nested deeper than 3 levels (RedisConfiguration.maximumReplyDepth)"
            ),
        ] {
            #expect(
                performing: { _ = try self.parse(text, parser: RESPParser(limits: limits)) },
                throws: { error in
                    (error as? RESPProtocolError)?.message.contains(message) == true
                })
        }
        // At the caps exactly: accepted.
        let atCaps = "*4\r\n+" + String(repeating: "a", count: 16) + "\r\n$8\r\n12345678\r\n*1\r\n*0\r\n:1\r\n"
        #expect(try self.parse(atCaps, parser: RESPParser(limits: limits)).0 != nil)
        // The defaults: what this client receives, no more.
        #expect(
            RESPLimits()
                == RESPLimits(maximumLineLength: 4096, maximumBulkLength: 65536, maximumArrayCount: 16, maximumDepth: 2)
        )
        for (text, message) in [
            ("*1000000\r\n", "array length 1000000: must be -1 or in 0...16"),
            ("$1000000000\r\n", "bulk string length 1000000000: must be -1 or in 0...65536"),
            ("*1\r\n*1\r\n*1\r\n", "arrays nested deeper than 2 levels"),
        ] {
            #expect(
                performing: { _ = try self.parse(text) },
                throws: { error in
                    (error as? RESPProtocolError)?.message.contains(message) == true
                })
        }
    }

    @Test("an overlong line is rejected as soon as its bytes pass the cap, without waiting for a CRLF")
    func overlongLineEarly() throws {
        var parser = RESPParser(limits: RESPLimits(maximumLineLength: 16))
        var buffer = ByteBuffer(string: "-" + String(repeating: "e", count: 16))
        #expect(try parser.parse(&buffer) == nil)
        buffer.writeString("e")
        #expect(throws: RESPProtocolError.self) { try parser.parse(&buffer) }
    }

    @Test("the channel decoder reports a reply cut short by the connection closing")
    func decoderAtEOF() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(RESPDecoder()))
        try channel.writeInbound(ByteBuffer(string: "+OK\r\n$10\r\nabc"))
        #expect(try channel.readInbound(as: RESPValue.self) == .simpleString("OK"))
        #expect(throws: RESPProtocolError.self) {
            try channel.finish()
        }
    }

    @Test("the encoder writes commands as arrays of bulk strings")
    func encoder() {
        var buffer = ByteBuffer()
        RESPEncoder.writeCommand(["SET", "k", "vä"], into: &buffer)
        #expect(String(buffer: buffer) == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nvä\r\n")
        for value in [0, 7, -1, 1_234_567_890, Int.max, Int.min] {
            var digits = ByteBuffer()
            RESPEncoder.writeDecimal(value, into: &digits)
            #expect(String(buffer: digits) == String(value))
        }
        var bulk = ByteBuffer()
        RESPEncoder.writeBulkString(decimal: -123, into: &bulk)
        #expect(String(buffer: bulk) == "$4\r\n-123\r\n")
    }
}
