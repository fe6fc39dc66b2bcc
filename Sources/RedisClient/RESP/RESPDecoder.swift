import NIOCore

/// The NIO decoder that turns a connection's inbound bytes into ``RESPValue``s, with an
/// incremental ``RESPParser`` that keeps its place between reads.
///
/// Bounded buffer: the parser consumes every complete item as it reads it, so between reads the
/// channel holds at most one unfinished item — checked here against
/// ``RESPLimits/maximumBufferedBytes`` on every read, so that no input can make it grow past that.
///
/// Bytes left over when the connection closes are a reply cut short; they are reported as an
/// error rather than dropped silently.
struct RESPDecoder: ByteToMessageDecoder {
    typealias InboundOut = RESPValue

    private(set) var parser: RESPParser

    /// - Parameter parser: A fresh parser, with the limits to apply (each connection copies it).
    init(parser: RESPParser = RESPParser()) {
        self.parser = parser
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let value = try self.parser.parse(&buffer) else {
            try self.checkBuffered(buffer.readableBytes)
            return .needMoreData
        }
        context.fireChannelRead(Self.wrapInboundOut(value))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        let state = try self.decode(context: context, buffer: &buffer)
        if state == .needMoreData, buffer.readableBytes > 0 || self.parser.isInsideReply {
            let count = buffer.readableBytes
            buffer.moveReaderIndex(forwardBy: count)
            throw RESPProtocolError(
                message: "the connection closed in the middle of a reply (\(count) bytes left unparsed)")
        }
        return state
    }

    /// The parser leaves at most one unfinished item behind; this makes the bound a guarantee.
    private func checkBuffered(_ bytes: Int) throws(RESPProtocolError) {
        self.parser.statistics?.recordBuffered(bytes)
        let cap = self.parser.limits.maximumBufferedBytes
        guard bytes <= cap else {
            throw RESPProtocolError(
                message: "\(bytes) bytes buffered without completing a reply item: must stay in 0...\(cap)")
        }
    }
}
