import NIOCore
import NIOPosix
import Synchronization

@testable import RateLimitRedis
@testable import RedisClient

/// A TCP server on a loopback port that misbehaves on purpose, for the connection layer's
/// robustness tests.
final class FakeRedisServer: Sendable {
    /// What the server does with a connection.
    enum Behavior: Sendable {
        /// Closes each connection as soon as it is accepted.
        case closeOnAccept
        /// Answers the first bytes received with `reply`, then closes if `thenClose`.
        case reply(String, thenClose: Bool)
        /// Reads and never answers.
        case silent
        /// Reads commands and answers each as the script says, in order, as Redis does (see
        /// `FakeRedisServer+Script.swift`).
        case script(Script)
    }

    let port: Int
    private let channel: any Channel

    init(_ behavior: Behavior) async throws {
        let counter = Counter()
        self.channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let index = counter.value.add(1, ordering: .relaxed).oldValue
                return channel.eventLoop.makeCompletedFuture {
                    if case .script(let script) = behavior {
                        try FakeRedisServer.addScriptHandlers(to: channel, connection: index, script: script)
                    } else {
                        try channel.pipeline.syncOperations.addHandler(Handler(behavior: behavior))
                    }
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .handedOffValue()
        self.port = self.channel.localAddress?.port ?? 0
        self.counter = counter
    }

    private let counter: Counter

    /// Connections accepted so far.
    var connections: Int {
        self.counter.value.load(ordering: .relaxed)
    }

    func close() async {
        try? await self.channel.close(mode: .all).handedOffValue()
    }

    private final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let behavior: Behavior
        var answered = false

        init(behavior: Behavior) {
            self.behavior = behavior
        }

        func channelActive(context: ChannelHandlerContext) {
            if case .closeOnAccept = self.behavior {
                context.close(promise: nil)
            }
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .reply(let text, let thenClose) = self.behavior, !self.answered else { return }
            self.answered = true
            context.writeAndFlush(Self.wrapOutboundOut(ByteBuffer(string: text)), promise: nil)
            if thenClose {
                context.close(promise: nil)
            }
        }
    }
}
