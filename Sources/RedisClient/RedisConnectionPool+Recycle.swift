import Logging

extension RedisConnectionPool {
    /// Replaces `connection`, which still works but should not be used: the server answered
    /// `reason`'s error (`READONLY` after a failover, `LOADING`, …).
    ///
    /// The connection leaves the round-robin at once and closes once the requests already on it
    /// are answered; its slot then reconnects as after any close — after the minimum reconnect
    /// delay, so that a server answering every connection this way is not hammered — resolving
    /// the host name again. Counted once per connection, however many of its requests saw the
    /// error.
    package func recycle(_ connection: RedisConnection, reason: RedisRecycleReason) {
        // Under the pool's lock: of several requests that saw the error on this connection, only
        // the one that removes it from the rotation counts it and closes it.
        let slot = self.state.withLockedValue { state -> Int? in
            let before = state.ready.count
            state.ready.removeAll { $0 === connection }
            guard state.ready.count < before else { return nil }
            // A ready connection always holds its slot (see `opened`); -1 only for the log.
            let slot = state.slots.firstIndex { slot in
                if case .ready(let current) = slot { return current === connection }
                return false
            }
            return slot ?? -1
        }
        guard let slot else { return }
        self.countRecycled(reason, slot: slot)
        connection.closeWhenIdle()
    }

    /// Counts and logs a connection replaced for `reason`.
    func countRecycled(_ reason: RedisRecycleReason, slot: Int) {
        self.connectionsRecycled[reason]?.increment()
        self.logger.warning(
            "Replacing a Redis connection",
            metadata: ["redis": "\(self.options.endpoint)", "slot": "\(slot)", "reason": "\(reason.rawValue)"]
        )
    }
}
