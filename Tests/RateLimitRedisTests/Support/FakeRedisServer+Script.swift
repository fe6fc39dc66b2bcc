import NIOCore
import NIOPosix
import Synchronization

@testable import RateLimitRedis
@testable import RedisClient

extension FakeRedisServer {
    /// What the scripted server does with one command: `connection` counts accepted connections
    /// from 0, `command` is the command's arguments as text.
    typealias Script = @Sendable (_ connection: Int, _ command: [String]) -> Answer

    /// The answer to one command. Replies leave in the order the commands came, as Redis's do:
    /// a reply that waits holds back every reply after it on its connection.
    enum Answer: Sendable {
        /// These bytes, as they are (any RESP, valid or not).
        case reply(String)
        /// These bytes once `gate` opens.
        case replyWhenOpen(Gate, String)
        /// Close the connection (after the replies before).
        case close
    }

    /// An explicit signal for a reply to wait on, so that a test makes a reply late by waiting
    /// for the event it must come after (a client's timeout), never by sleeping a tuned time.
    final class Gate: Sendable {
        private let promise = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Void.self)
        private let isOpen = Atomic<Bool>(false)

        init() {}

        var opened: EventLoopFuture<Void> { self.promise.futureResult }

        /// Lets the replies waiting on the gate go. Safe to call more than once.
        func open() {
            if !self.isOpen.exchange(true, ordering: .relaxed) { self.promise.succeed() }
        }

        deinit {
            // Never opened: its replies are never sent (and NIO sees no leaked promise).
            if !self.isOpen.exchange(true, ordering: .relaxed) { self.promise.fail(CancellationError()) }
        }
    }

    /// The answer that lets a limiter's handshake pass: `SCRIPT LOAD` answered with the script's
    /// SHA-1; `nil` for any other command.
    static func handshakeAnswer(_ command: [String]) -> Answer? {
        command.first?.uppercased() == "SCRIPT" ? .reply("$40\r\n\(RedisBucketScript.sha1)\r\n") : nil
    }

    /// A decision reply as the script sends it: allowed, `remaining`, retry 0, reset 1 s, within
    /// the capacity, at 1 µs, `corrupt` 0.
    static func decisionReply(remaining: Int) -> String {
        "*7\r\n:1\r\n:\(remaining)\r\n:0\r\n:1000000000\r\n:0\r\n:1\r\n:0\r\n"
    }

    static func addScriptHandlers(to channel: any Channel, connection: Int, script: @escaping Script) throws {
        // Commands, not replies: larger caps than a client's (SCRIPT LOAD carries the script).
        let limits = RESPLimits(
            maximumLineLength: 4096, maximumBulkLength: 1 << 20, maximumArrayCount: 1024, maximumDepth: 2)
        try channel.pipeline.syncOperations.addHandler(
            ByteToMessageHandler(RESPDecoder(parser: RESPParser(limits: limits))))
        try channel.pipeline.syncOperations.addHandler(ScriptHandler(connection: connection, script: script))
    }

    /// Answers each command as the script says, each reply after the one before.
    private final class ScriptHandler: ChannelInboundHandler {
        typealias InboundIn = RESPValue
        let connection: Int
        let script: Script
        /// Completes when the previous reply has been written: the next waits for it.
        var previous: EventLoopFuture<Void>?

        init(connection: Int, script: @escaping Script) {
            self.connection = connection
            self.script = script
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .array(let parts?) = Self.unwrapInboundIn(data) else { return }
            let answer = self.script(self.connection, parts.compactMap(\.string))
            let channel = context.channel
            let eventLoop = context.eventLoop
            let previous = self.previous ?? eventLoop.makeSucceededVoidFuture()
            switch answer {
            case .reply(let text):
                self.previous = previous.map { channel.writeAndFlush(ByteBuffer(string: text), promise: nil) }
            case .replyWhenOpen(let gate, let text):
                self.previous = previous.flatMap { gate.opened.hop(to: eventLoop) }.map {
                    channel.writeAndFlush(ByteBuffer(string: text), promise: nil)
                }
            case .close:
                self.previous = previous.map { channel.close(promise: nil) }
            }
        }
    }
}

extension FakeRedisServer {
    /// `text` as a RESP bulk string.
    static func bulk(_ text: String) -> String {
        "$\(text.utf8.count)\r\n\(text)\r\n"
    }
}
