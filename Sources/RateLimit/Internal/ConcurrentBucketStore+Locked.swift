import Synchronization

// Everything that needs the writer lock on the way to a decision: absent keys, inserts,
// evictions and unlinking.
extension ConcurrentBucketStore {

    // The locked path is `@inlinable` too: a generic method that is not inlinable runs
    // unspecialised in the client, resolving `Key`'s metadata at run time on every call.

    /// Decides under the writer lock: rebases if due, inserts the key if the request takes tokens.
    @inlinable
    func decideLocked(_ key: Key, hash: Int, cost: Int, now: Int64) -> RateLimitDecision {
        self.writer.withLock(0) { writer in
            let nowTicks = self.lockedTicks(at: now, writer: &writer)
            return self.applyLocked(Acquisition(cost: cost), to: key, hash: hash, nowTicks: nowTicks, writer: &writer)
        }
    }

    /// A reservation, under the writer lock, with the store's generation under the same lock.
    func reserve(
        _ key: Key, hash: Int, cost: Int, maxWaitNanoseconds: Int64, now: Int64
    ) -> (step: Reservation.Step, generation: BucketGeneration) {
        Interleaving.reach(.clockRead)
        return self.writer.withLock(0) { writer in
            let nowTicks = self.lockedTicks(at: now, writer: &writer)
            let step = self.applyLocked(
                Reservation(cost: cost, maxWaitNanoseconds: maxWaitNanoseconds), to: key, hash: hash,
                nowTicks: nowTicks, writer: &writer)
            return (step, self.generation(writer))
        }
    }

    /// A cancellation, under the writer lock: `false`, changing nothing, unless the store is still
    /// in `generation` once any rebase due at `now` is done.
    func cancel(
        _ key: Key, hash: Int, cancellation: Cancellation, generation: BucketGeneration, now: Int64
    ) -> Bool {
        Interleaving.reach(.clockRead)
        return self.writer.withLock(0) { writer in
            let nowTicks = self.lockedTicks(at: now, writer: &writer)
            guard self.generation(writer) == generation else { return false }
            return self.applyLocked(cancellation, to: key, hash: hash, nowTicks: nowTicks, writer: &writer)
        }
    }

    /// What a cancellation checks (see ``BucketTable/generation``). Under the writer lock: only
    /// lock holders evict or rebase.
    func generation(_ writer: borrowing WriterState) -> BucketGeneration {
        BucketGeneration(epoch: self.epoch.load(ordering: .relaxed), evictions: writer.evicted)
    }

    /// `now` in ticks since the epoch, rebasing first if the epoch is too old for it. Under the
    /// writer lock.
    @inlinable
    func lockedTicks(at now: Int64, writer: inout WriterState) -> Int64 {
        // Relaxed loads of what only lock holders write.
        if let ticks = self.arithmetic.ticks(at: now, epoch: self.epoch.load(ordering: .relaxed)) {
            return ticks
        }
        self.rebase(now: now, writer: &writer)
        return self.arithmetic.ticks(at: now, epoch: self.epoch.load(ordering: .relaxed)) ?? 0
    }

    /// Applies `operation` to `key`'s bucket under the writer lock, inserting the key if the
    /// operation creates buckets and its result takes tokens.
    @inlinable
    func applyLocked<Operation: BucketOperation>(
        _ operation: Operation, to key: Key, hash: Int, nowTicks: Int64, writer: inout WriterState
    ) -> Operation.Result {
        let tag = HashTag.tag(hash)
        let index = SlotIndex(self.index.load(ordering: .relaxed))
        var slot = HashTag.home(tag, mask: index.mask)
        while true {
            let word = index.slots[slot].load(ordering: .relaxed)
            if word == 0 { break }
            let entry = self.entries + SlotIndex.entry(of: word)
            if SlotIndex.tag(of: word) == tag && entry.pointee.key == key {
                // Lock-free readers may race on this entry, but nothing retires it while we
                // hold the lock.
                guard let result = self.update(entry, operation, nowTicks: nowTicks, countingRetries: false)
                else {
                    preconditionFailure("an indexed entry was retired without the writer lock")
                }
                return result
            }
            slot = (slot &+ 1) & index.mask
        }
        // Absent: a bucket that was full at the floor, so that a reading older than a drop
        // cannot recreate the bucket earlier than it was dropped.
        if let result = operation.absentKeyResult { return result }
        let (result, newStored) = operation.apply(stored: writer.floor, nowTicks: nowTicks, arithmetic: self.arithmetic)
        if let newStored {
            self.insert(key, tag: tag, state: newStored, nowTicks: nowTicks, writer: &writer)
        }
        return result
    }

    @inlinable
    func insert(_ key: Key, tag: UInt32, state: Int64, nowTicks: Int64, writer: inout WriterState) {
        if writer.count >= self.maxKeys {
            self.makeRoom(nowTicks: nowTicks, writer: &writer)
        }
        let entry = self.allocateEntry(writer: &writer)
        (self.entries + entry).initialize(to: Entry(state: state, key: key))
        var index = SlotIndex(self.index.load(ordering: .relaxed))
        if (writer.count + 1) * 4 > (index.mask + 1) * 3 && index.mask + 1 < self.slotLimit {
            index = self.grow(writer: &writer)
        }
        var slot = HashTag.home(tag, mask: index.mask)
        while index.slots[slot].load(ordering: .relaxed) != 0 {
            slot = (slot &+ 1) & index.mask
        }
        // Sequentially consistent (so at least releasing): publishes the entry's key and state to
        // every reader that loads this slot.
        Interleaving.reach(.beforePublish)
        index.slots[slot].store(SlotIndex.word(tag: tag, entry: entry), ordering: .sequentiallyConsistent)
        writer.count += 1
    }

    /// Frees at least one slot in a store at `maxKeys`, with the policy of ``BucketTable``: drop
    /// the full buckets among the next ``BucketTable/evictionWindow`` examined, or if none is full,
    /// evict the one that owes the fewest tokens.
    ///
    /// Lock-free readers keep taking tokens while the writer looks, so every retirement is a
    /// compare-and-swap from the state the decision was based on: a bucket that changed in between
    /// is ranked again rather than evicted on stale information (twice; the third time the
    /// examined bucket that owes the fewest is evicted whatever it owes by then).
    ///
    /// - Complexity: O(``BucketTable/evictionWindow``) slots at the index's load, at most four
    ///   times (the branch-free ranking, then up to three passes when a window holds a full bucket
    ///   that readers keep changing), plus one unlink per bucket dropped.
    @inlinable
    func makeRoom(nowTicks: Int64, writer: inout WriterState) {
        let index = SlotIndex(self.index.load(ordering: .relaxed))
        let mask = index.mask
        // Under a flood of new keys no examined bucket is full: rank the window in one pass that
        // never branches on what it reads, so that its entry loads overlap instead of waiting on
        // mispredicted branches, and evict. A window holding a full bucket, or a victim a reader
        // changed meanwhile, takes the passes below.
        let ranking = self.rankWindow(index: index, from: writer.hand, count: writer.count)
        // The fast pass is the first of the three attempts below when it gets as far as a
        // compare-and-swap: it ranked the same window, so it is the pass that attempt would be.
        var firstAttempt = 0
        if ranking.victim >= 0 && ranking.victimState > nowTicks {
            firstAttempt = 1
            let entry = SlotIndex.entry(of: index.slots[ranking.victim].load(ordering: .relaxed))
            Interleaving.reach(.beforeCompareExchange)
            let (evicted, _) = self.entries[entry].state.compareExchange(
                expected: ranking.victimState,
                desired: Self.retiredState,
                ordering: .relaxed
            )
            if evicted {
                Interleaving.record(.evicted(AnyHashable(self.entries[entry].key)))
                self.unlink(slot: ranking.victim, entry: entry, index: index, writer: &writer)
                writer.evicted += 1
                writer.floor = self.arithmetic.floor(writer.floor, afterRemoving: ranking.victimState, now: nowTicks)
                writer.hand = ranking.end
                return
            }
        }
        for attempt in firstAttempt..<3 {
            var slot = writer.hand & mask
            var examined = 0
            var freed = 0
            var visited = 0
            var victim = -1
            var victimState = Int64.max
            while examined < BucketTable<Key>.evictionWindow && visited <= mask && writer.count > 0 {
                let word = index.slots[slot].load(ordering: .relaxed)
                if word != 0 {
                    examined += 1
                    let entry = SlotIndex.entry(of: word)
                    var state = self.entries[entry].state.load(ordering: .relaxed)
                    if state <= nowTicks {
                        // Full: retire it unless a reader takes tokens first.
                        Interleaving.reach(.beforeCompareExchange)
                        let (retired, current) = self.entries[entry].state.compareExchange(
                            expected: state,
                            desired: Self.retiredState,
                            ordering: .relaxed
                        )
                        if retired {
                            Interleaving.record(.expired(AnyHashable(self.entries[entry].key)))
                            self.unlink(slot: slot, entry: entry, index: index, writer: &writer)
                            writer.expired += 1
                            freed += 1
                            continue // backward shift may have moved an unexamined entry into `slot`
                        }
                        state = current // rank it by what the reader left
                    }
                    if state < victimState {
                        victim = slot
                        victimState = state
                    }
                }
                slot = (slot + 1) & mask
                visited += 1
            }
            guard freed == 0, victim >= 0 else {
                if freed > 0 {
                    // Dropped as full at this reading: absent keys never decide earlier than it.
                    writer.floor = max(writer.floor, nowTicks)
                }
                writer.hand = slot
                return
            }
            // No removal happened in this pass, so `victim` still names the slot it was ranked in.
            let entry = SlotIndex.entry(of: index.slots[victim].load(ordering: .relaxed))
            let evicted: Bool
            var replaced = victimState
            Interleaving.reach(.beforeCompareExchange)
            if attempt == 2 {
                // Whatever a reader left: the exchange returns it, for the floor below.
                replaced = self.entries[entry].state.exchange(Self.retiredState, ordering: .relaxed)
                evicted = true
            } else {
                evicted =
                    self.entries[entry].state.compareExchange(
                        expected: victimState,
                        desired: Self.retiredState,
                        ordering: .relaxed
                    ).exchanged
            }
            if evicted {
                Interleaving.record(.evicted(AnyHashable(self.entries[entry].key)))
                self.unlink(slot: victim, entry: entry, index: index, writer: &writer)
                writer.evicted += 1
                // Forgives what it owed, at most a window, even if this reading is stale.
                writer.floor = self.arithmetic.floor(writer.floor, afterRemoving: replaced, now: nowTicks)
                writer.hand = slot
                return
            }
        }
    }

    /// The ``makeRoom(nowTicks:writer:)`` window of `index` from slot `hand`, read without
    /// changing anything: the examined bucket whose state is least (the first such; full exactly
    /// when that state is at or before the reading) and the slot after the window. Under the
    /// writer lock, so every occupied slot names a live entry.
    @inlinable
    func rankWindow(index: SlotIndex, from hand: Int, count: Int) -> (victim: Int, victimState: Int64, end: Int) {
        let mask = index.mask
        var slot = hand & mask
        var visited = 0
        var ranking = EvictionRanking()
        guard count > 0 else { return (ranking.victim, ranking.victimState, slot) }
        // An empty slot loads the entry of the last occupied slot before it — live, and already
        // in the cache — and ranks it as `Int64.max`. Before the first occupied slot, that is the
        // first one from the hand, found with a short branching walk (the index holds a key).
        var previous = slot
        while index.slots[previous].load(ordering: .relaxed) == 0 { previous = (previous &+ 1) & mask }
        var previousEntry = SlotIndex.entry(of: index.slots[previous].load(ordering: .relaxed))
        while ranking.examined < BucketTable<Key>.evictionWindow && visited <= mask {
            let word = index.slots[slot].load(ordering: .relaxed)
            // The low half is the entry plus one: not 0 exactly when the slot is occupied.
            let occupancy = EvictionRanking.occupancy(ofLow32: word)
            let keep = Int(EvictionRanking.keepMask(occupancy: occupancy))
            let entry = (Int(UInt32(truncatingIfNeeded: word)) &- 1) & keep | previousEntry & ~keep
            previousEntry = entry
            ranking.consider(
                slot: slot, state: self.entries[entry].state.load(ordering: .relaxed), occupancy: occupancy)
            slot = (slot &+ 1) & mask
            visited &+= 1
        }
        return (ranking.victim, ranking.victimState, slot)
    }

    /// Clears `slot` (whose entry is already retired), shifts the rest of its probe run back, and
    /// queues the entry for reuse after a grace period.
    @inlinable
    func unlink(slot: Int, entry: Int, index: SlotIndex, writer: inout WriterState) {
        let mask = index.mask
        // Sequentially consistent stores: an unlink must precede, in the total order, the counter
        // loads of the grace period after which the entry is reused.
        index.slots[slot].store(0, ordering: .sequentiallyConsistent)
        Interleaving.reach(.unlinked)
        var hole = slot
        var next = (slot + 1) & mask
        while true {
            let word = index.slots[next].load(ordering: .relaxed)
            if word == 0 { break }
            let home = HashTag.home(SlotIndex.tag(of: word), mask: mask)
            if (next &- home) & mask >= (next &- hole) & mask {
                // Copy, then clear: a reader probing meanwhile finds the entry in one of the two
                // slots, or stops at an empty one and retries under the lock.
                index.slots[hole].store(word, ordering: .sequentiallyConsistent)
                Interleaving.reach(.shiftCopied)
                index.slots[next].store(0, ordering: .sequentiallyConsistent)
                hole = next
            }
            next = (next + 1) & mask
        }
        writer.retired[writer.retiredCount] = UInt32(entry)
        writer.retiredCount += 1
        writer.count -= 1
    }
}
