import RateLimit

// Bounded memory: an engine at `maxKeys` drops full buckets first (no decision changes) and evicts
// buckets that still owe tokens only when it must, counting each.

extension RateLimiterConformance {
    func evictionFullBucketsFirst(_ context: ScenarioContext<Key>) throws(ConformanceFailure) {
        let maxKeys = 1024
        let clock = ManualClock()
        let policy = try context.policy(10, 2, every: .seconds(1), .smooth)
        let limiter = try context.bounded(try context.limiter(policy, maxKeys: maxKeys, clock: clock))
        // Fill to the bound with buckets that owe one token each. (A partitioned engine may
        // already evict here, where one partition fills before the others.)
        for key in 0..<maxKeys {
            _ = limiter.acquire(context.key(key))
        }
        let baseline = limiter.statistics
        try context.expect(
            baseline.trackedKeys <= maxKeys, "tracks \(baseline.trackedKeys) keys with maxKeys \(maxKeys)")
        // Round after round, let every tracked bucket refill, then add a few new keys: there are
        // always far more full buckets than new keys (in any partition of at least 8 keys), so
        // not one bucket that owes tokens may be evicted.
        var inserted = maxKeys
        for round in 0..<32 {
            try context.advance(clock, 500 * nanosecondsPerMillisecond)
            for key in inserted..<(inserted + 8) {
                try context.expect(
                    limiter.acquire(context.key(key)), allowed: true, remaining: 9,
                    "round \(round): new key \(key) in a table of full buckets")
            }
            inserted += 8
            let statistics = limiter.statistics
            try context.expect(
                statistics.evictedBuckets == baseline.evictedBuckets,
                "round \(round): evicted buckets that still owed tokens while full ones could be dropped: before \(baseline), now \(statistics)"
            )
            try context.expect(
                statistics.trackedKeys <= maxKeys,
                "round \(round): tracks \(statistics.trackedKeys) keys with maxKeys \(maxKeys)")
            try context.expect(
                statistics.trackedKeys + statistics.expiredBuckets + statistics.evictedBuckets == inserted,
                "round \(round): every one of \(inserted) buckets must be tracked, expired or evicted: \(statistics)"
            )
        }
        try context.expect(
            limiter.statistics.expiredBuckets >= 32 * 8 - maxKeys / 2,
            "dropped too few full buckets: \(limiter.statistics)")
        // A dropped full bucket answers exactly like a full one.
        try context.advance(clock, 500 * nanosecondsPerMillisecond)
        for key in 0..<inserted {
            try context.expect(
                limiter.acquire(context.key(key), cost: 0), allowed: true, remaining: 10, resetAfter: 0,
                "key \(key) after its bucket refilled")
        }
    }

    func evictionBoundedAndCounted(_ context: ScenarioContext<Key>) throws(ConformanceFailure) {
        let maxKeys = 16
        let keys = 100
        let clock = ManualClock()
        let policy = try context.policy(10, 2, every: .seconds(1), .stepped)
        let limiter = try context.bounded(try context.limiter(policy, maxKeys: maxKeys, clock: clock))
        // The clock never moves: no bucket is ever full again, so each one dropped is an eviction.
        for key in 0..<keys {
            try context.expect(
                limiter.acquire(context.key(key), cost: 3), allowed: true, remaining: 7, "new key \(key)")
            let statistics = limiter.statistics
            try context.expect(
                statistics.trackedKeys <= maxKeys, "tracks \(statistics.trackedKeys) keys with maxKeys \(maxKeys)")
        }
        let statistics = limiter.statistics
        try context.expect(
            statistics.expiredBuckets == 0, "reported expired buckets while none was full: \(statistics)")
        try context.expect(
            statistics.trackedKeys + statistics.evictedBuckets == keys,
            "every one of \(keys) buckets must be tracked or counted as evicted: \(statistics)"
        )
        // A tracked bucket kept its exact state; an evicted one starts again full.
        var kept = 0
        for key in 0..<keys {
            let remaining = limiter.acquire(context.key(key), cost: 0).remaining
            try context.expect(
                remaining == 7 || remaining == 10,
                "key \(key) peeks \(remaining) tokens: neither its state (7) nor a fresh bucket (10)")
            if remaining == 7 { kept += 1 }
        }
        try context.expect(
            kept == statistics.trackedKeys, "\(kept) keys kept their state but \(statistics.trackedKeys) are tracked")
    }
}
