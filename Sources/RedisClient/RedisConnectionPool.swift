import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOCore

/// A fixed number of connections to one Redis server, kept open and replaced when they fail.
///
/// - **Choosing a connection** takes a lock for a few instructions and picks the next ready
///   connection round-robin; concurrent requests share connections by pipelining.
/// - **Reconnection.** A connection that closes is replaced after `minimumReconnectDelay`; a
///   connection attempt that fails is retried after a delay that doubles from there up to
///   `maximumReconnectDelay`, with jitter so that many instances do not reconnect in lockstep.
/// - **Never waiting on a failing server.** A request waits for a connection only while the first
///   attempt of a slot (at start-up) is in progress, and never past its deadline. When Redis is
///   known to be down, requests fail at once and the caller decides (a limiter's failure policy).
/// - **Recycling.** A connection that still works is replaced when the server says it cannot
///   serve (`READONLY`, `LOADING`, `MASTERDOWN`, `OOM`) or after several timeouts in a row; see
///   `RedisConnectionPool+Recycle.swift`.
package final class RedisConnectionPool: Sendable {
    enum Slot {
        case connecting(EventLoopFuture<RedisConnection>, waitable: Bool, RedisConnectAttempt)
        case ready(RedisConnection)
        case backingOff(Scheduled<Void>?)
        case shutDown
    }

    struct State {
        var slots: [Slot]
        /// Failed attempts in a row, per slot.
        var failures: [Int]
        /// The ready connections, for round-robin choice.
        var ready: [RedisConnection] = []
        var next = 0
        var isShutDown = false
        var lastError: RedisClientError?
    }

    let options: Options
    private let group: any EventLoopGroup
    let state: NIOLockedValueBox<State>
    let logger: Logger
    private let connectionsOpened: Counter
    private let connectionFailures: Counter
    /// `<prefix>_connections_recycled_total`, by reason.
    let connectionsRecycled: [RedisRecycleReason: Counter]

    /// Creates the pool and starts connecting every slot.
    package init(options: Options, group: any EventLoopGroup, logger: Logger, metricsFactory: any MetricsFactory) {
        self.options = options
        self.group = group
        self.logger = logger
        let initial = State(
            slots: Array(repeating: .backingOff(nil), count: options.size),
            failures: Array(repeating: 0, count: options.size))
        self.state = NIOLockedValueBox(initial)
        let prefix = options.metricsLabelPrefix
        self.connectionsOpened = Counter(label: "\(prefix)_connections_opened_total", factory: metricsFactory)
        self.connectionFailures = Counter(label: "\(prefix)_connection_failures_total", factory: metricsFactory)
        var recycled: [RedisRecycleReason: Counter] = [:]
        for reason in RedisRecycleReason.allCases {
            recycled[reason] = Counter(
                label: "\(prefix)_connections_recycled_total",
                dimensions: [("reason", reason.rawValue)],
                factory: metricsFactory
            )
        }
        self.connectionsRecycled = recycled
        for slot in 0..<options.size {
            self.connect(slot: slot, waitable: true)
        }
    }

    /// A ready connection, or a ``RedisClientError`` at once when none is ready and none is worth
    /// waiting for, or when `deadline` passes first.
    package func connection(deadline: NIODeadline) async throws(RedisClientError) -> RedisConnection {
        enum Choice {
            case ready(RedisConnection)
            case wait(EventLoopFuture<RedisConnection>)
            case fail(RedisClientError)
        }
        let choice = self.state.withLockedValue { state -> Choice in
            if state.isShutDown { return .fail(RedisClientError(.shutdown, "the Redis connection pool was shut down")) }
            if !state.ready.isEmpty {
                state.next = state.next == Int.max ? 0 : state.next + 1
                return .ready(state.ready[state.next % state.ready.count])
            }
            for case .connecting(let future, waitable: true, _) in state.slots {
                return .wait(future)
            }
            let cause = state.lastError.map { " (last error: \($0.message))" } ?? ""
            return .fail(
                RedisClientError(
                    .connection, "no connection to \(self.options.endpoint) is ready; reconnecting\(cause)"))
        }
        switch choice {
        case .ready(let connection):
            return connection
        case .fail(let error):
            throw error
        case .wait(let future):
            let timeout = RedisClientError(
                .timeout, "no connection to \(self.options.endpoint) within the command timeout")
            do {
                return try await Self.value(of: future, before: deadline, orFail: timeout)
            } catch {
                throw RedisClientError.wrapping(error)
            }
        }
    }

    /// Closes every connection and stops reconnecting; returns once the open connections are
    /// closed. Attempts still connecting are abandoned: closed as soon as their socket exists.
    /// Requests in flight fail; later requests fail with reason `.shutdown`.
    package func shutdown() async {
        let connections = self.state.withLockedValue { state -> [RedisConnection] in
            guard !state.isShutDown else { return [] }
            state.isShutDown = true
            var connections: [RedisConnection] = []
            for slot in state.slots {
                switch slot {
                case .ready(let connection): connections.append(connection)
                case .connecting(_, _, let attempt): attempt.cancel()
                case .backingOff(let task): task?.cancel()
                case .shutDown: break
                }
            }
            state.slots = Array(repeating: .shutDown, count: state.slots.count)
            state.ready = []
            return connections
        }
        for connection in connections {
            connection.close()
        }
        for connection in connections {
            try? await connection.closeFuture.handedOffValue()
        }
        self.logger.debug("Redis connection pool shut down", metadata: ["redis": "\(self.options.endpoint)"])
    }

    // MARK: Connecting

    private func connect(slot: Int, waitable: Bool) {
        let eventLoop = self.group.next()
        let attempt = RedisConnectAttempt()
        let future = RedisConnection.connect(
            host: self.options.host,
            port: self.options.port,
            handshake: self.options.handshake,
            parser: self.options.parser,
            maximumConsecutiveTimeouts: self.options.maximumConsecutiveTimeouts,
            onRecycle: { reason in self.countRecycled(reason, slot: slot) },
            on: eventLoop,
            deadline: .now() + self.options.connectTimeout,
            attempt: attempt
        )
        let started = self.state.withLockedValue { state -> Bool in
            guard !state.isShutDown else { return false }
            state.slots[slot] = .connecting(future, waitable: waitable, attempt)
            return true
        }
        guard started else {
            future.whenSuccess { $0.close() }
            return
        }
        future.whenComplete { result in
            switch result {
            case .success(let connection): self.opened(connection, slot: slot)
            case .failure(let error): self.failed(slot: slot, error: RedisClientError.wrapping(error), on: eventLoop)
            }
        }
    }

    private func opened(_ connection: RedisConnection, slot: Int) {
        let (kept, failures) = self.state.withLockedValue { state -> (Bool, Int) in
            guard !state.isShutDown else { return (false, 0) }
            let failures = state.failures[slot]
            state.slots[slot] = .ready(connection)
            state.failures[slot] = 0
            state.ready.append(connection)
            return (true, failures)
        }
        guard kept else {
            connection.close()
            return
        }
        self.connectionsOpened.increment()
        if failures > 0 {
            self.logger.notice(
                "Connected to Redis again",
                metadata: ["redis": "\(self.options.endpoint)", "slot": "\(slot)", "failed-attempts": "\(failures)"])
        } else {
            self.logger.debug("Connected to Redis", metadata: ["redis": "\(self.options.endpoint)", "slot": "\(slot)"])
        }
        connection.closeFuture.whenComplete { _ in
            self.closed(connection, slot: slot)
        }
    }

    private func closed(_ connection: RedisConnection, slot: Int) {
        let reconnect = self.state.withLockedValue { state -> Bool in
            state.ready.removeAll { $0 === connection }
            guard !state.isShutDown, case .ready(let current) = state.slots[slot], current === connection else {
                return false
            }
            state.slots[slot] = .backingOff(nil)
            return true
        }
        guard reconnect else { return }
        self.logger.info(
            "Redis connection closed; reconnecting", metadata: ["redis": "\(self.options.endpoint)", "slot": "\(slot)"])
        // A connection that dropped is replaced after the minimum delay (never in a tight loop,
        // even if the server closes every connection it accepts); requests do not wait for it.
        self.reconnect(slot: slot, after: self.options.minimumReconnectDelay, on: connection.channel.eventLoop)
    }

    private func failed(slot: Int, error: RedisClientError, on eventLoop: any EventLoop) {
        let failures = self.state.withLockedValue { state -> Int? in
            guard !state.isShutDown else { return nil }
            state.failures[slot] += 1
            state.lastError = error
            state.slots[slot] = .backingOff(nil)
            return state.failures[slot]
        }
        guard let failures else { return }
        self.connectionFailures.increment()
        let delay = self.reconnectDelay(afterFailures: failures)
        let metadata: Logger.Metadata = [
            "redis": "\(self.options.endpoint)", "slot": "\(slot)", "error": "\(error.message)",
            "attempt": "\(failures)", "retry-in-ms": "\(delay.nanoseconds / 1_000_000)",
        ]
        if failures == 1 {
            self.logger.warning("Cannot connect to Redis", metadata: metadata)
        } else {
            self.logger.debug("Cannot connect to Redis", metadata: metadata)
        }
        self.reconnect(slot: slot, after: delay, on: eventLoop)
    }

    /// Connects `slot` again after `delay`. The slot is `.backingOff(nil)` (set by the caller
    /// under the lock) until the timer is recorded in it, so that `shutdown()` cancels it.
    private func reconnect(slot: Int, after delay: TimeAmount, on eventLoop: any EventLoop) {
        let task = eventLoop.scheduleTask(in: delay) {
            self.connect(slot: slot, waitable: false)
        }
        self.state.withLockedValue { state in
            if state.isShutDown {
                task.cancel()
            } else if case .backingOff(nil) = state.slots[slot] {
                state.slots[slot] = .backingOff(task)
            }
        }
    }

    /// `minimum · 2^(failures−1)`, capped at `maximum`, then scaled by a random factor in
    /// `[0.5, 1]`.
    private func reconnectDelay(afterFailures failures: Int) -> TimeAmount {
        let minimum = self.options.minimumReconnectDelay.nanoseconds
        let maximum = self.options.maximumReconnectDelay.nanoseconds
        let doublings = min(failures - 1, 40)
        let (scaled, overflow) = minimum.multipliedReportingOverflow(by: Int64(1) << doublings)
        let capped = overflow ? maximum : min(scaled, maximum)
        let jittered = capped / 2 + Int64.random(in: 0...(capped - capped / 2))
        return .nanoseconds(max(jittered, minimum))
    }

    /// The future's value, or `error` if `deadline` comes first.
    static func value<Value: Sendable>(
        of future: EventLoopFuture<Value>, before deadline: NIODeadline, orFail error: RedisClientError
    ) async throws -> Value {
        let eventLoop = future.eventLoop
        let promise = eventLoop.makePromise(of: Value.self)
        let timer = eventLoop.scheduleTask(deadline: deadline) {
            promise.fail(error)
        }
        future.whenComplete { result in
            timer.cancel()
            promise.completeWith(result)
        }
        return try await promise.futureResult.handedOffValue()
    }
}
