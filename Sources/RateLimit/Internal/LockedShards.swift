#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// `count` values, each guarded by its own pthread mutex, in one allocation at a 128-byte stride
/// so that two shards never share a cache line (128 rather than 64: Intel's adjacent-line
/// prefetcher pulls lines in pairs). Owns the memory and the values.
///
/// ``MutexRateLimiter`` keeps one shard, ``ShardedRateLimiter`` several, and
/// ``AtomicRateLimiter`` one for its writers.
@usableFromInline
package struct LockedShards<State: ~Copyable>: ~Copyable {
    @usableFromInline static var alignment: Int { 128 }

    /// Each shard is a `pthread_mutex_t` at offset 0 followed by its state. The layout is explicit
    /// (not a Swift struct) because a pthread mutex must never move once initialised.
    @usableFromInline let base: UnsafeMutableRawPointer
    @usableFromInline let stride: Int
    @usableFromInline let stateOffset: Int
    @usableFromInline let count: Int

    init(count: Int, makeState: (Int) -> State) {
        precondition(count >= 1)
        let alignment = Self.alignment
        let stateAlignment = MemoryLayout<State>.alignment
        self.stateOffset = (MemoryLayout<pthread_mutex_t>.size + stateAlignment - 1) / stateAlignment * stateAlignment
        let size = self.stateOffset + MemoryLayout<State>.size
        self.stride = (size + alignment - 1) / alignment * alignment
        self.count = count
        self.base = .allocate(byteCount: self.stride * count, alignment: alignment)
        for index in 0..<count {
            let shard = self.base + index * self.stride
            PThreadMutex.initialize(at: shard.bindMemory(to: pthread_mutex_t.self, capacity: 1))
            (shard + self.stateOffset).bindMemory(to: State.self, capacity: 1).initialize(to: makeState(index))
        }
    }

    deinit {
        for index in 0..<self.count {
            self.mutex(index).destroy()
            self.state(index).deinitialize(count: 1)
        }
        self.base.deallocate()
    }

    @inlinable
    func mutex(_ index: Int) -> PThreadMutex {
        PThreadMutex((self.base + index &* self.stride).assumingMemoryBound(to: pthread_mutex_t.self))
    }

    @inlinable
    func state(_ index: Int) -> UnsafeMutablePointer<State> {
        (self.base + index &* self.stride + self.stateOffset).assumingMemoryBound(to: State.self)
    }

    /// Runs `body` on shard `index`'s state with that shard's lock held.
    @inlinable
    func withLock<Result>(_ index: Int, _ body: (inout State) throws -> Result) rethrows -> Result {
        let state = self.state(index)
        return try self.mutex(index).withLock {
            try body(&state.pointee)
        }
    }
}

extension LockedShards where State: ~Copyable {
    /// The sum of every shard's table statistics, each read under its shard's lock.
    func statistics<Key>() -> RateLimiterStatistics where State == BucketTable<Key> {
        var total = RateLimiterStatistics(trackedKeys: 0, expiredBuckets: 0, evictedBuckets: 0)
        for index in 0..<self.count {
            let shard = self.withLock(index) { $0.statistics }
            total.trackedKeys += shard.trackedKeys
            total.expiredBuckets += shard.expiredBuckets
            total.evictedBuckets += shard.evictedBuckets
        }
        return total
    }

    /// The longest probe of any shard's table, each read under its shard's lock.
    func longestProbe<Key>() -> Int where State == BucketTable<Key> {
        (0..<self.count).map { index in self.withLock(index) { $0.longestProbe } }.max() ?? 0
    }
}

extension LockedShards where State: ~Copyable {
    /// One decision of a lock-per-shard engine (``MutexRateLimiter``, ``ShardedRateLimiter``):
    /// the clock is read outside the lock, to keep the critical section short; the table never
    /// lets a stale reading move a bucket's time backwards.
    ///
    /// - Parameter hint: A slot to try before the key's home slot (a ``BucketHandle``'s).
    @inlinable
    func decide<Key>(
        _ key: Key,
        hash: Int,
        hint: Int? = nil,
        shard: Int,
        cost: Int,
        clock: ClockSource,
        arithmetic: BucketArithmetic
    ) -> RateLimitDecision where State == BucketTable<Key> {
        // `layout` never changes after initialisation: reading it without the lock races with
        // nothing.
        BucketTable<Key>.prefetch(hash: hash, slot: hint, layout: self.state(shard).pointee.layout)
        let now = clock.now()
        return self.decide(key, hash: hash, hint: hint, shard: shard, cost: cost, now: now, arithmetic: arithmetic)
    }

    /// One decision at `now`, a reading taken before: the lock, the table's decision.
    @inlinable
    func decide<Key>(
        _ key: Key,
        hash: Int,
        hint: Int? = nil,
        shard: Int,
        cost: Int,
        now: Int64,
        arithmetic: BucketArithmetic
    ) -> RateLimitDecision where State == BucketTable<Key> {
        Interleaving.reach(.clockRead)
        return self.withLock(shard) { table in
            // Inlined into each engine with `hint` a constant `nil` or a handle's slot: the
            // branch folds away.
            if let hint {
                table.apply(Acquisition(cost: cost), to: key, hash: hash, hint: hint, now: now, arithmetic: arithmetic)
            } else {
                table.apply(Acquisition(cost: cost), to: key, hash: hash, now: now, arithmetic: arithmetic)
            }
        }
    }
}

extension LockedShards where State: ~Copyable {
    /// A reservation on a lock-per-shard engine, with the table's generation under the same lock.
    func reserve<Key>(
        _ key: Key,
        hash: Int,
        shard: Int,
        cost: Int,
        maxWaitNanoseconds: Int64,
        now: Int64,
        arithmetic: BucketArithmetic
    ) -> (step: Reservation.Step, generation: BucketGeneration) where State == BucketTable<Key> {
        Interleaving.reach(.clockRead)
        return self.withLock(shard) { table in
            let step = table.apply(
                Reservation(cost: cost, maxWaitNanoseconds: maxWaitNanoseconds), to: key, hash: hash, now: now,
                arithmetic: arithmetic)
            return (step, table.generation)
        }
    }

    /// A cancellation on a lock-per-shard engine: `false`, changing nothing, unless the table is
    /// still in `generation` once any rebase due at `now` is done.
    func cancel<Key>(
        _ key: Key,
        hash: Int,
        shard: Int,
        cancellation: Cancellation,
        generation: BucketGeneration,
        now: Int64,
        arithmetic: BucketArithmetic
    ) -> Bool where State == BucketTable<Key> {
        Interleaving.reach(.clockRead)
        return self.withLock(shard) { table in
            let nowTicks = table.ticks(at: now, arithmetic: arithmetic)
            guard table.generation == generation else { return false }
            let tag = HashTag.tag(hash)
            return table.apply(
                cancellation, to: key, tag: tag, at: table.find(key, tag: tag, hint: nil), nowTicks: nowTicks,
                arithmetic: arithmetic)
        }
    }
}
