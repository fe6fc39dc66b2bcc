import NIOCore

extension RedisChannelHandler {
    /// Makes sure a timer fires by `deadline`: one timer watches the earliest deadline.
    func armWatchdog(for deadline: NIODeadline) {
        if let current = self.watchdogDeadline, current <= deadline { return }
        guard let context else { return }
        self.watchdog?.cancel()
        self.watchdogDeadline = deadline
        self.watchdog = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.watchdogFired()
        }
    }

    /// Fails each waiting request whose deadline has passed, alone, leaving its place in the
    /// queue for the reply still to come. After `maximumConsecutiveTimeouts` in a row — each
    /// counted only when a request written after the previous counted timeout expires, so that
    /// one stall counts once however many requests were in flight — the peer is given up: every
    /// request fails and the connection closes (the pool replaces it).
    ///
    /// - Complexity: O(queued requests) per firing. The timer is armed for the earliest waiting
    ///   deadline, so firings are bounded by the requests written (one may find its request
    ///   already answered, and fail none).
    func watchdogFired() {
        self.watchdog = nil
        self.watchdogDeadline = nil
        guard self.closedBecause == nil else { return }
        let now = NIODeadline.now()
        var expired: [RedisRequest] = []
        var latestWritten: NIODeadline? // of the expired requests
        var next: NIODeadline?
        // Indices by hand: iterating `indices` would hold a second reference to the storage and
        // make the first write copy it.
        var index = self.pending.startIndex
        while index != self.pending.endIndex {
            if let request = self.pending[index].request {
                if request.deadline <= now {
                    expired.append(request)
                    latestWritten = max(latestWritten ?? self.pending[index].written, self.pending[index].written)
                    self.pending[index].request = nil
                } else {
                    next = min(next ?? request.deadline, request.deadline)
                }
            }
            index = self.pending.index(after: index)
        }
        self.waiting -= expired.count
        if let latestWritten, latestWritten > (self.lastCountedTimeout ?? .uptimeNanoseconds(0)) {
            self.consecutiveTimeouts += 1
            self.lastCountedTimeout = now
        }
        let timeout = RedisClientError(.timeout, "no reply from \(self.endpoint) before the command timeout")
        guard self.consecutiveTimeouts >= self.maximumConsecutiveTimeouts else {
            if let next { self.armWatchdog(for: next) }
            // State first, callbacks last: failing a promise may run code that calls back in.
            for request in expired { request.fail(timeout) }
            self.closeIfIdleAndRetired()
            return
        }
        let count = self.consecutiveTimeouts
        self.closedBecause = RedisClientError(
            .timeout, "no reply from \(self.endpoint) for \(count) timeouts in a row; connection closed"
        )
        let rest = self.pending
        self.pending.removeAll()
        self.waiting = 0
        let dropped = RedisClientError(
            .connection, "connection to \(self.endpoint) closed after \(count) timeouts in a row")
        // Counted before any request fails: a caller that sees its timeout also sees the recycle.
        self.onRecycle?(.timeouts)
        for request in expired { request.fail(self.closedBecause!) }
        for entry in rest { entry.request?.fail(dropped) }
        self.context?.close(promise: nil)
    }
}
