import NIOCore

/// The last handler of a Redis connection's pipeline: it writes commands and matches each reply
/// to the oldest request still waiting, which is how RESP pipelining works — replies come back
/// in the order the commands were sent.
///
/// - **Pipelining.** Requests are written as they arrive, without waiting for earlier replies;
///   each batch handed over by ``RedisConnection`` goes out with one flush (one `write` system
///   call).
/// - **Timeouts.** Every request carries a deadline. One timer watches the earliest; when it
///   passes with no reply, the connection is closed: a later reply could no longer be matched
///   safely, and a peer that stopped answering is better replaced than waited for.
/// - **Failure.** A protocol error, a reply nobody asked for, or the peer closing fails every
///   waiting request at once; none is left hanging.
///
/// Not `Sendable`: used only on its channel's event loop (see ``RedisConnection``).
final class RedisChannelHandler: ChannelInboundHandler {
    typealias InboundIn = RESPValue
    typealias OutboundOut = ByteBuffer

    /// `host:port`, for messages.
    private let endpoint: String
    /// Requests written and waiting for their replies, oldest first.
    private var pending = CircularBuffer<RedisRequest>(initialCapacity: 64)
    private var context: ChannelHandlerContext?
    /// Set once the connection is unusable; every later request fails with it.
    private var closedBecause: RedisClientError?
    private var watchdog: Scheduled<Void>?
    private var watchdogDeadline: NIODeadline?

    init(endpoint: String) {
        self.endpoint = endpoint
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.close(because: RedisClientError(.connection, "connection to \(self.endpoint) was torn down"))
        self.context = nil
    }

    /// Writes a batch of requests and flushes once; each request's reply, or a
    /// ``RedisClientError``, goes to its sink. Must be called on the channel's event loop.
    func write(_ requests: [RedisRequest]) {
        guard let context, self.closedBecause == nil, context.channel.isActive else {
            let error = self.closedBecause ?? RedisClientError(.connection, "connection to \(self.endpoint) is closed")
            for request in requests { request.fail(error) }
            return
        }
        var earliest = requests.first?.deadline
        for request in requests {
            self.pending.append(request)
            context.write(Self.wrapOutboundOut(request.command), promise: nil)
            earliest = earliest.map { min($0, request.deadline) }
        }
        context.flush()
        if let earliest { self.armWatchdog(for: earliest) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let reply = Self.unwrapInboundIn(data)
        guard let request = self.pending.popFirst() else {
            self.close(because: RedisClientError(.protocol, "\(self.endpoint) sent a reply no request was waiting for: \(reply)"))
            return
        }
        request.succeed(reply)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.close(because: RedisClientError(.connection, "connection to \(self.endpoint) closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.close(because: RedisClientError.wrapping(error))
    }

    /// Fails every waiting request and closes the channel; the first reason given is kept.
    func close(because error: RedisClientError) {
        guard self.closedBecause == nil else { return }
        self.closedBecause = error
        self.watchdog?.cancel()
        self.watchdog = nil
        self.watchdogDeadline = nil
        self.failPending { _ in error }
        self.context?.close(promise: nil)
    }

    private func failPending(_ error: (RedisRequest) -> RedisClientError) {
        // Swap the queue out first: failing a promise may run callbacks that enqueue again.
        let failed = self.pending
        self.pending.removeAll()
        for request in failed {
            request.fail(error(request))
        }
    }

    private func armWatchdog(for deadline: NIODeadline) {
        if let current = self.watchdogDeadline, current <= deadline { return }
        guard let context else { return }
        self.watchdog?.cancel()
        self.watchdogDeadline = deadline
        self.watchdog = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.watchdogFired()
        }
    }

    private func watchdogFired() {
        self.watchdog = nil
        self.watchdogDeadline = nil
        guard let earliest = self.pending.lazy.map(\.deadline).min() else { return }
        let now = NIODeadline.now()
        guard earliest <= now else {
            self.armWatchdog(for: earliest)
            return
        }
        let timeout = RedisClientError(.timeout, "no reply from \(self.endpoint) before the command timeout; connection closed")
        let dropped = RedisClientError(.connection, "connection to \(self.endpoint) closed because another request on it timed out")
        guard self.closedBecause == nil else { return }
        self.closedBecause = timeout
        self.failPending { $0.deadline <= now ? timeout : dropped }
        self.context?.close(promise: nil)
    }
}
