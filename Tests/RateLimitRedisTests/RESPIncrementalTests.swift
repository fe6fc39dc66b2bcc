import NIOCore
import NIOEmbedded
import RateLimitTesting
import Testing

@testable import RedisClient

/// The decoder's work is linear in the bytes received however they are split, and what it
/// buffers stays within one unfinished item: counted, never timed.
@Suite("RESP incremental decoding")
struct RESPIncrementalTests {
    /// Elements of the large reply: enough that re-parsing from the first byte on every 4 KB
    /// read would examine ten times the bound, few enough that the tests take well under a second
    /// (they hold a thread, so they run offloaded, beside the async suites, not on their threads).
    static let largeCount = 14_000

    /// A 143 KB array reply of mixed types (integers, bulk strings, simple strings, nils), and
    /// the value it encodes.
    static let large: (bytes: [UInt8], value: RESPValue) = {
        var text = "*\(largeCount)\r\n"
        var values: [RESPValue] = []
        values.reserveCapacity(largeCount)
        for index in 0..<largeCount {
            switch index % 4 {
            case 0:
                text += ":\(1_000_000_000 + index)\r\n"
                values.append(.integer(Int64(1_000_000_000 + index)))
            case 1:
                text += "$8\r\nv\(1_000_000 + index % 1_000_000)\r\n"
                values.append(.bulkString("v\(1_000_000 + index % 1_000_000)"))
            case 2:
                text += "+status\r\n"
                values.append(.simpleString("status"))
            default:
                text += "$-1\r\n"
                values.append(.bulkString(nil))
            }
        }
        return (Array(text.utf8), .array(values))
    }()

    /// The caps of this client, except an array long enough for the large reply.
    static let limits = RESPLimits(maximumArrayCount: largeCount)

    /// The bound on the work: each byte is scanned for its line's end once and decoded or copied
    /// once, plus at most one CR read again per call (a CRLF split between two reads).
    static func workBound(bytes: Int, calls: Int) -> Int {
        2 * bytes + calls
    }

    @Test("a 143 KB reply in 4 KB reads through the channel: work linear in the bytes, buffer within one item")
    func fourKilobyteReads() async throws {
        let (bytes, expected) = Self.large
        let statistics = RESPDecoderStatistics()
        let replies = try await RealThreads.offload { () -> Result<[RESPValue], any Error> in
            Result {
                let channel = EmbeddedChannel(
                    handler: ByteToMessageHandler(
                        RESPDecoder(parser: RESPParser(limits: Self.limits, statistics: statistics))))
                var replies: [RESPValue] = []
                for start in stride(from: 0, to: bytes.count, by: 4096) {
                    try channel.writeInbound(ByteBuffer(bytes: bytes[start..<min(start + 4096, bytes.count)]))
                    while let reply = try channel.readInbound(as: RESPValue.self) { replies.append(reply) }
                }
                _ = try channel.finish()
                return replies
            }
        }.get()
        #expect(replies == [expected])
        #expect(bytes.count > 140_000)
        let bound = Self.workBound(bytes: bytes.count, calls: statistics.parseCalls)
        #expect(
            statistics.bytesExamined <= bound,
            "examined \(statistics.bytesExamined) bytes for a \(bytes.count)-byte reply (bound \(bound))")
        // Re-parsing from the first byte on every read would examine about n²/(2·4096) bytes:
        // 2.5 million here, against a bound under 0.3 million.
        #expect(statistics.parseCalls <= bytes.count / 4096 + 2)
        // Everything before the unfinished item is consumed: the longest item here is 13 bytes.
        #expect(statistics.peakBufferedBytes <= 13, "buffered \(statistics.peakBufferedBytes) bytes between reads")
        print(
            "RESP work, 4 KB reads: \(statistics.bytesExamined) bytes examined for \(bytes.count) bytes in \(statistics.parseCalls) calls"
        )
    }

    @Test("a 143 KB reply one byte at a time: work linear in the bytes")
    func oneByteReads() async throws {
        let (bytes, expected) = Self.large
        let statistics = RESPDecoderStatistics()
        let (replies, peak) = try await RealThreads.offload { () -> Result<([RESPValue], Int), any Error> in
            Result {
                var parser = RESPParser(limits: Self.limits, statistics: statistics)
                // As ByteToMessageHandler keeps it: unconsumed bytes, with the next read appended.
                var buffer = ByteBuffer()
                var replies: [RESPValue] = []
                var peak = 0
                for byte in bytes {
                    buffer.writeInteger(byte)
                    if let reply = try parser.parse(&buffer) { replies.append(reply) }
                    peak = max(peak, buffer.readableBytes)
                    if buffer.readerIndex > 4096 { buffer.discardReadBytes() }
                }
                return (replies, peak)
            }
        }.get()
        #expect(replies == [expected])
        #expect(statistics.parseCalls == bytes.count)
        let bound = Self.workBound(bytes: bytes.count, calls: statistics.parseCalls)
        #expect(
            statistics.bytesExamined <= bound,
            "examined \(statistics.bytesExamined) bytes for a \(bytes.count)-byte reply (bound \(bound))")
        #expect(peak <= 13)
        print("RESP work, 1-byte reads: \(statistics.bytesExamined) bytes examined for \(bytes.count) bytes")
    }

    @Test("a bulk string arriving in pieces is copied once, when complete; the buffer holds at most it and its CRLF")
    func bulkInPieces() throws {
        let statistics = RESPDecoderStatistics()
        let payload = [UInt8](repeating: 0x42, count: 65536)
        let channel = EmbeddedChannel(
            handler: ByteToMessageHandler(RESPDecoder(parser: RESPParser(statistics: statistics))))
        var bytes = Array("$65536\r\n".utf8) + payload + Array("\r\n".utf8)
        bytes += Array(":1\r\n".utf8)
        for start in stride(from: 0, to: bytes.count, by: 1000) {
            try channel.writeInbound(ByteBuffer(bytes: bytes[start..<min(start + 1000, bytes.count)]))
        }
        #expect(try channel.readInbound(as: RESPValue.self) == .bulkString(payload))
        #expect(try channel.readInbound(as: RESPValue.self) == .integer(1))
        #expect(statistics.peakBufferedBytes <= RESPLimits().maximumBufferedBytes)
        // The header (8 bytes read twice at most), the payload and its CRLF once, the integer.
        #expect(statistics.bytesExamined <= 2 * 8 + 65538 + 2 * 4 + statistics.parseCalls)
        _ = try channel.finish()
    }

    @Test(
        "a header over a cap is rejected at the header: nothing it announces is buffered",
        arguments: [
            ("*1000000\r\n", "array length 1000000: must be -1 or in 0...16"),
            ("$1000000000\r\n", "bulk string length 1000000000: must be -1 or in 0...65536"),
        ])
    func rejectedAtHeader(header: String, message: String) throws {
        let statistics = RESPDecoderStatistics()
        let channel = EmbeddedChannel(
            handler: ByteToMessageHandler(RESPDecoder(parser: RESPParser(statistics: statistics))))
        #expect(
            performing: { try channel.writeInbound(ByteBuffer(string: header)) },
            throws: { error in
                (error as? RESPProtocolError)?.message.contains(message) == true
            })
        #expect(statistics.bytesExamined <= 2 * header.utf8.count)
        #expect(statistics.peakBufferedBytes == 0)
        _ = try? channel.finish()
    }

    @Test("the channel decoder reports a reply cut short inside an array whose elements were consumed")
    func cutShortInsideArray() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(RESPDecoder()))
        try channel.writeInbound(ByteBuffer(string: "*2\r\n:1\r\n"))
        #expect(try channel.readInbound(as: RESPValue.self) == nil)
        #expect(throws: RESPProtocolError.self) {
            try channel.finish()
        }
    }
}
