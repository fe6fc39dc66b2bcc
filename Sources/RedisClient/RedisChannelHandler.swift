import NIOCore

/// The last handler of a Redis connection's pipeline: it writes commands and matches each reply
/// to the oldest request still waiting, which is how RESP pipelining works — replies come back
/// in the order the commands were sent.
///
/// - **Pipelining.** Requests are written as they arrive, without waiting for earlier replies;
///   each batch handed over by ``RedisConnection`` goes out with one flush (one `write` system
///   call).
/// - **Timeouts fail one request.** Every request carries a deadline. A request whose deadline
///   passes is failed alone; its place in the queue stays, so that its reply, when it comes, is
///   read and dropped and the replies after it still meet their own requests. Only after
///   `maximumConsecutiveTimeouts` timeouts with no reply in between is the peer given up and the
///   connection closed (see `RedisChannelHandler+Timeouts.swift`).
/// - **Recycling.** ``closeWhenIdle()`` retires a working connection: it is closed as soon as no
///   request waits on it.
/// - **Failure.** A protocol error, a reply nobody asked for, or the peer closing fails every
///   waiting request at once; none is left hanging.
///
/// Not `Sendable`: used only on its channel's event loop (see ``RedisConnection``).
final class RedisChannelHandler: ChannelInboundHandler {
    typealias InboundIn = RESPValue
    typealias OutboundOut = ByteBuffer

    /// A request written and not answered yet. `request` is `nil` once it timed out: its reply
    /// still comes, in this place, and is dropped.
    struct Pending {
        var request: RedisRequest?
        /// When the request was written: timeouts of requests written before the last counted
        /// one are the same stall, and count once.
        let written: NIODeadline
    }

    /// `host:port`, for messages.
    let endpoint: String
    /// Timeouts in a row, with no reply in between, after which the connection is closed.
    let maximumConsecutiveTimeouts: Int
    /// Told when the handler closes a working connection on its own (after timeouts).
    let onRecycle: (@Sendable (RedisRecycleReason) -> Void)?
    /// Requests written and waiting for their replies, oldest first.
    var pending = CircularBuffer<Pending>(initialCapacity: 64)
    /// The entries of `pending` whose request still waits (has not timed out).
    var waiting = 0
    /// Timeouts since the last reply that met a waiting request, each counted for a request
    /// written after the previous counted timeout: one stall that expires many requests in
    /// flight counts once, so a busy connection is not closed by a single slow moment.
    var consecutiveTimeouts = 0
    /// When the last counted timeout fired.
    var lastCountedTimeout: NIODeadline?
    /// Set by ``closeWhenIdle()``: close once `waiting` is 0.
    var closesWhenIdle = false
    var context: ChannelHandlerContext?
    /// Set once the connection is unusable; every later request fails with it.
    var closedBecause: RedisClientError?
    var watchdog: Scheduled<Void>?
    var watchdogDeadline: NIODeadline?

    init(
        endpoint: String, maximumConsecutiveTimeouts: Int = 3,
        onRecycle: (@Sendable (RedisRecycleReason) -> Void)? = nil
    ) {
        self.endpoint = endpoint
        self.maximumConsecutiveTimeouts = max(1, maximumConsecutiveTimeouts)
        self.onRecycle = onRecycle
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
        var earliest: NIODeadline?
        for request in requests {
            self.pending.append(Pending(request: request, written: .now()))
            self.waiting += 1
            context.write(Self.wrapOutboundOut(request.command), promise: nil)
            earliest = min(earliest ?? request.deadline, request.deadline)
        }
        context.flush()
        if let earliest { self.armWatchdog(for: earliest) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let reply = Self.unwrapInboundIn(data)
        guard let entry = self.pending.popFirst() else {
            self.close(
                because: RedisClientError(
                    .protocol, "\(self.endpoint) sent a reply no request was waiting for: \(reply)"))
            return
        }
        // The late reply of a timed-out request: dropped, which keeps the next reply in step.
        guard let request = entry.request else { return }
        self.waiting -= 1
        self.consecutiveTimeouts = 0
        self.lastCountedTimeout = nil
        request.succeed(reply)
        self.closeIfIdleAndRetired()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.close(because: RedisClientError(.connection, "connection to \(self.endpoint) closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.close(because: RedisClientError.wrapping(error))
    }

    /// Retires the connection: it takes no part in new work and closes once no request waits on
    /// it, now if none does.
    func closeWhenIdle() {
        self.closesWhenIdle = true
        self.closeIfIdleAndRetired()
    }

    func closeIfIdleAndRetired() {
        guard self.closesWhenIdle, self.waiting == 0 else { return }
        self.close(because: RedisClientError(.connection, "connection to \(self.endpoint) was recycled"))
    }

    /// Fails every waiting request and closes the channel; the first reason given is kept.
    func close(because error: RedisClientError) {
        guard self.closedBecause == nil else { return }
        self.closedBecause = error
        self.watchdog?.cancel()
        self.watchdog = nil
        self.watchdogDeadline = nil
        // Swap the queue out first: failing a promise may run callbacks that enqueue again.
        let failed = self.pending
        self.pending.removeAll()
        self.waiting = 0
        for entry in failed {
            entry.request?.fail(error)
        }
        self.context?.close(promise: nil)
    }
}
