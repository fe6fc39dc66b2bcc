#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The buckets of ``AtomicRateLimiter``: lock-free decisions on tracked keys, with inserts,
/// evictions, growth and rebases serialised by one writer lock.
///
/// ## Layout
/// - `entries`: one mapping of `maxKeys + maxKeys/8` (at least +16) entries reserved up front and
///   committed by the kernel page by page as entries are first used. An entry is the bucket's
///   64-bit atomic state followed by its key; it never moves.
/// - `index`: a ``SlotIndex`` from hash tag to entry, replaced by a larger copy as keys arrive.
///
/// ## Concurrency
/// A decision on a tracked key enters a read section (``GracePeriodTracker``), probes the index,
/// compares keys, and runs a compare-and-swap loop on the entry's state. Anything else — an absent
/// key, an entry being evicted, a pending rebase — falls back to ``decideLocked(_:hash:cost:now:)``.
///
/// Writers never free or reuse what a reader might hold: an evicted entry's state is first swapped
/// to ``retiredState`` (so a racing compare-and-swap fails and retries under the lock), its slot is
/// cleared, and the entry is reused only after a grace period; a replaced index is freed the same
/// way. A backward-shift deletion may briefly hide a key from a probing reader: the reader then
/// takes the lock and finds it, so a miss costs time, never a wrong answer.
@usableFromInline
package final class ConcurrentBucketStore<Key: Hashable>: @unchecked Sendable {
    // @unchecked: raw memory, accessed under the protocol above — atomics for shared words, the
    // writer lock for everything else, grace periods before any reuse.

    @usableFromInline
    struct Entry: ~Copyable {
        /// Ticks since the epoch at which the bucket is full, or ``retiredState``.
        @usableFromInline let state: Atomic<Int64>
        @usableFromInline let key: Key

        @inlinable
        init(state: Int64, key: Key) {
            self.state = Atomic(state)
            self.key = key
        }
    }

    /// The state of an entry that has left the index: no decision may use it.
    @usableFromInline
    static var retiredState: Int64 { .min }

    @usableFromInline
    struct WriterState {
        @usableFromInline var count = 0
        @usableFromInline var hand = 0
        @usableFromInline var expired = 0
        @usableFromInline var evicted = 0
        /// Ticks since the epoch of the latest reading a drop or an eviction used, at least 0: an
        /// absent key is a bucket that was full at this moment (see ``BucketTable``'s "drop floor").
        /// Only lock holders read or write it, and only absent keys need it, which always take
        /// the lock: the lock-free path never sees it.
        @usableFromInline var floor: Int64 = 0
        /// Entries never used yet start at `fresh`.
        @usableFromInline var fresh = 0
        @usableFromInline var freeList: UnsafeMutablePointer<UInt32>
        @usableFromInline var freeCount = 0
        /// Entries unlinked since the last grace period.
        @usableFromInline var retired: UnsafeMutablePointer<UInt32>
        @usableFromInline var retiredCount = 0
        /// Indexes replaced since the last grace period.
        @usableFromInline var retiredIndexes: [UnsafeMutableRawPointer] = []

        init(freeList: UnsafeMutablePointer<UInt32>, retired: UnsafeMutablePointer<UInt32>) {
            self.freeList = freeList
            self.retired = retired
        }
    }

    // Read by every decision. Only `index` changes while readers run (by publication); `epoch` and
    // `fastPathEnd` change only while the lock-free path is shut (see `rebase`).
    @usableFromInline let arithmetic: BucketArithmetic
    @usableFromInline let entries: UnsafeMutablePointer<Entry>
    @usableFromInline let readers: GracePeriodTracker
    @usableFromInline let index: Atomic<UnsafeMutableRawPointer>
    @usableFromInline let epoch: Atomic<Int64>
    /// The lock-free path is valid for clock readings below this: the epoch plus the arithmetic's
    /// rebase period, or `Int64.min` while a rebase is under way.
    @usableFromInline let fastPathEnd: Atomic<Int64>

    @usableFromInline let maxKeys: Int
    @usableFromInline let slotLimit: Int
    @usableFromInline let entryCapacity: Int
    let mappedBytes: Int
    let listBytes: Int
    @usableFromInline let writer: LockedShards<WriterState>

    init(arithmetic: BucketArithmetic, maxKeys: Int, epoch: Int64) throws(RateLimitError) {
        self.arithmetic = arithmetic
        self.maxKeys = maxKeys
        self.slotLimit = HashTag.slotLimit(forKeys: maxKeys)
        self.entryCapacity = maxKeys + max(16, maxKeys / 8)
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let bytes = self.entryCapacity * MemoryLayout<Entry>.stride
        self.mappedBytes = (bytes + pageSize - 1) / pageSize * pageSize
        // Reserve address space only: untouched pages cost no memory, so a large maxKeys is free
        // until that many keys arrive.
        let mapping = mmap(nil, self.mappedBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let mapping, mapping != MAP_FAILED else {
            throw .invalidConfiguration(
                "maxKeys",
                maxKeys,
                allowed: "small enough to reserve \(self.mappedBytes) bytes of address space (mmap failed, errno \(errno))"
            )
        }
        self.entries = mapping.bindMemory(to: Entry.self, capacity: self.entryCapacity)
        self.readers = GracePeriodTracker()
        self.index = Atomic(SlotIndex.allocate(slots: min(self.slotLimit, 16)).base)
        self.epoch = Atomic(epoch)
        self.fastPathEnd = Atomic(Self.fastPathEnd(epoch: epoch, arithmetic: arithmetic))
        // The free and retired lists hold up to every entry: reserve them the same way, so that a
        // huge maxKeys costs address space, not memory, and a failure throws instead of trapping.
        let listBytes = (self.entryCapacity * MemoryLayout<UInt32>.stride + pageSize - 1) / pageSize * pageSize
        self.listBytes = listBytes
        let lists = mmap(nil, 2 * listBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let lists, lists != MAP_FAILED else {
            munmap(mapping, self.mappedBytes)
            throw .invalidConfiguration(
                "maxKeys",
                maxKeys,
                allowed: "small enough to reserve \(2 * listBytes) bytes of address space (mmap failed, errno \(errno))"
            )
        }
        let freeList = lists.bindMemory(to: UInt32.self, capacity: self.entryCapacity)
        let retired = (lists + listBytes).bindMemory(to: UInt32.self, capacity: self.entryCapacity)
        self.writer = LockedShards(count: 1) { _ in
            WriterState(freeList: freeList, retired: retired)
        }
    }

    deinit {
        // No reader can run: every decision holds a strong reference to the engine.
        self.writer.withLock(0) { writer in
            let index = SlotIndex(self.index.load(ordering: .relaxed))
            for slot in 0...index.mask {
                let word = index.slots[slot].load(ordering: .relaxed)
                if word != 0 {
                    (self.entries + SlotIndex.entry(of: word)).deinitialize(count: 1)
                }
            }
            index.deallocate()
            for retired in 0..<writer.retiredCount {
                (self.entries + Int(writer.retired[retired])).deinitialize(count: 1)
            }
            for old in writer.retiredIndexes {
                SlotIndex(old).deallocate()
            }
            munmap(UnsafeMutableRawPointer(writer.freeList), 2 * self.listBytes)
        }
        munmap(UnsafeMutableRawPointer(self.entries), self.mappedBytes)
    }

    @inlinable
    static func fastPathEnd(epoch: Int64, arithmetic: BucketArithmetic) -> Int64 {
        let (end, overflow) = epoch.addingReportingOverflow(arithmetic.rebaseAfterNanoseconds)
        return overflow ? .max : end
    }

    // MARK: - Lock-free path

    /// Decides for a tracked key without a lock, or returns `nil` when the lock is needed: the key
    /// is absent (or hidden by a concurrent move), its entry is being retired, or a rebase is due.
    ///
    /// - Complexity: O(1) expected; allocates nothing.
    @inlinable
    func decideLockFree(_ key: Key, hash: Int, cost: Int, now: Int64) -> RateLimitDecision? {
        let token = self.readers.enter()
        defer { self.readers.exit(token) }
        // Sequentially consistent loads of everything a writer may unlink or change, here and in
        // the probe below: they must be ordered after `enter()` (see GracePeriodTracker). On x86-64
        // they are plain loads.
        guard now < self.fastPathEnd.load(ordering: .sequentiallyConsistent) else { return nil }
        // Below `fastPathEnd`, ticks since the epoch are below 2⁶²: no overflow.
        let elapsed = now &- self.epoch.load(ordering: .sequentiallyConsistent)
        let nowTicks = elapsed > 0 ? elapsed &* self.arithmetic.ticksPerNanosecond : 0
        let index = SlotIndex(self.index.load(ordering: .sequentiallyConsistent))
        let mask = index.mask
        let tag = HashTag.tag(hash)
        var slot = HashTag.home(tag, mask: mask)
        while true {
            // Loading a non-zero slot also acquires the entry's initialisation, which the writer
            // published with its store of this slot.
            let word = index.slots[slot].load(ordering: .sequentiallyConsistent)
            if word == 0 {
                return nil
            }
            if SlotIndex.tag(of: word) == tag {
                let entry = self.entries + SlotIndex.entry(of: word)
                if entry.pointee.key == key {
                    Interleaving.reach(.probed)
                    return self.update(entry, cost: cost, nowTicks: nowTicks, token: token)
                }
            }
            Interleaving.reach(.probeStep)
            slot = (slot &+ 1) & mask
        }
    }

    /// The compare-and-swap loop on one bucket: decide from the state read, install the new state
    /// only if nobody changed it meanwhile, otherwise decide again from the newer state. Returns
    /// `nil` if the entry was retired.
    @inlinable
    func update(_ entry: UnsafeMutablePointer<Entry>, cost: Int, nowTicks: Int64, token: Int?) -> RateLimitDecision? {
        // Relaxed throughout: the word is the bucket's entire state and publishes nothing else, so
        // only its own modification order matters, and a compare-and-swap always compares with the
        // latest value in that order. A denial or a peek reads without writing: it is linearised at
        // its load.
        var state = entry.pointee.state.load(ordering: .relaxed)
        while true {
            if state == Self.retiredState {
                return nil
            }
            // Deciding from the stored state and `max(stored, now)` (inside `debt`) means a thread
            // whose clock reading is older than the stored state can only be stricter.
            let outcome = self.arithmetic.decide(debt: self.arithmetic.debt(stored: state, now: nowTicks), cost: cost)
            guard let newDebt = outcome.newDebt else {
                return outcome.decision
            }
            Interleaving.reach(.beforeCompareExchange)
            let (exchanged, current) = entry.pointee.state.weakCompareExchange(
                expected: state,
                desired: nowTicks &+ newDebt,
                ordering: .relaxed
            )
            if exchanged {
                return outcome.decision
            }
            state = current
            if let token {
                self.readers.recordRetry(token)
            }
        }
    }

    // MARK: - Locked path

    // The locked path is `@inlinable` too: a generic method that is not inlinable runs
    // unspecialised in the client, resolving `Key`'s metadata at run time on every call.

    /// Decides under the writer lock: rebases if due, inserts the key if the request takes tokens.
    @inlinable
    func decideLocked(_ key: Key, hash: Int, cost: Int, now: Int64) -> RateLimitDecision {
        self.writer.withLock(0) { writer in
            // Relaxed loads of what only lock holders write.
            var nowTicks: Int64
            if let ticks = self.arithmetic.ticks(at: now, epoch: self.epoch.load(ordering: .relaxed)) {
                nowTicks = ticks
            } else {
                self.rebase(now: now, writer: &writer)
                nowTicks = self.arithmetic.ticks(at: now, epoch: self.epoch.load(ordering: .relaxed)) ?? 0
            }
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
                    guard let decision = self.update(entry, cost: cost, nowTicks: nowTicks, token: nil) else {
                        preconditionFailure("an indexed entry was retired without the writer lock")
                    }
                    return decision
                }
                slot = (slot &+ 1) & index.mask
            }
            // Absent: a bucket that was full at the floor, so that a reading older than a drop
            // cannot recreate the bucket earlier than it was dropped.
            let outcome = self.arithmetic.decide(debt: self.arithmetic.debt(stored: writer.floor, now: nowTicks), cost: cost)
            if let newDebt = outcome.newDebt {
                self.insert(key, tag: tag, state: nowTicks &+ newDebt, nowTicks: nowTicks, writer: &writer)
            }
            return outcome.decision
        }
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
    @inlinable
    func makeRoom(nowTicks: Int64, writer: inout WriterState) {
        let index = SlotIndex(self.index.load(ordering: .relaxed))
        let mask = index.mask
        for attempt in 0..<3 {
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
                            continue  // backward shift may have moved an unexamined entry into `slot`
                        }
                        state = current  // rank it by what the reader left
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
                evicted = self.entries[entry].state.compareExchange(
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

    @inlinable
    func allocateEntry(writer: inout WriterState) -> Int {
        if writer.freeCount == 0 {
            if writer.fresh < self.entryCapacity {
                writer.fresh += 1
                return writer.fresh - 1
            }
            // Every entry is tracked or retired; at most maxKeys are tracked, so at least the
            // headroom is retired and becomes free after a grace period.
            self.reclaim(writer: &writer)
        }
        writer.freeCount -= 1
        return Int(writer.freeList[writer.freeCount])
    }

    /// Waits for a grace period, then reuses every retired entry and frees every replaced index.
    @inlinable
    func reclaim(writer: inout WriterState) {
        self.readers.synchronize()
        for retired in 0..<writer.retiredCount {
            let entry = Int(writer.retired[retired])
            (self.entries + entry).deinitialize(count: 1)
            writer.freeList[writer.freeCount] = UInt32(entry)
            writer.freeCount += 1
        }
        writer.retiredCount = 0
        for old in writer.retiredIndexes {
            SlotIndex(old).deallocate()
        }
        writer.retiredIndexes.removeAll(keepingCapacity: true)
    }

    /// Publishes an index twice the size of the current one.
    @inlinable
    func grow(writer: inout WriterState) -> SlotIndex {
        let old = SlotIndex(self.index.load(ordering: .relaxed))
        let new = SlotIndex.allocate(slots: (old.mask + 1) * 2)
        let mask = new.mask
        for slot in 0...old.mask {
            let word = old.slots[slot].load(ordering: .relaxed)
            if word == 0 { continue }
            var target = HashTag.home(SlotIndex.tag(of: word), mask: mask)
            while new.slots[target].load(ordering: .relaxed) != 0 {
                target = (target &+ 1) & mask
            }
            new.slots[target].store(word, ordering: .relaxed)
        }
        // Sequentially consistent: publishes the new slots, and precedes the grace period after
        // which the old index is freed. Readers still probing the old one find correct (if stale)
        // entries, or miss and take the lock.
        Interleaving.reach(.beforeIndexSwap)
        self.index.store(new.base, ordering: .sequentiallyConsistent)
        writer.retiredIndexes.append(old.base)
        // Growth is rare (the index only doubles), so free the old index now rather than keep it
        // until entries run out: memory then tracks the live index alone.
        self.reclaim(writer: &writer)
        return new
    }

    /// Moves the epoch to `now`, with every lock-free reader shut out: drops full buckets and
    /// re-expresses the others relative to the new epoch. Runs at most once per
    /// `rebaseAfterNanoseconds` of clock time (at least a second; 146 years when a tick is 1 ns).
    @inlinable
    func rebase(now: Int64, writer: inout WriterState) {
        // Shut the lock-free path, then wait out every reader that may still be on it. From here
        // until it reopens only lock holders touch bucket states.
        self.fastPathEnd.store(.min, ordering: .sequentiallyConsistent)
        Interleaving.reach(.fastPathShut)
        self.reclaim(writer: &writer)
        let epoch = self.epoch.load(ordering: .relaxed)
        // In 128 bits: after a long idle period ticks since the old epoch may not fit in 64.
        let shift = max(0, Int128(now) - Int128(epoch)) * Int128(self.arithmetic.ticksPerNanosecond)
        let index = SlotIndex(self.index.load(ordering: .relaxed))
        // Two passes: removals shift entries, so survivors are shifted once all removals are done.
        var slot = 0
        while slot <= index.mask {
            let word = index.slots[slot].load(ordering: .relaxed)
            let entry = SlotIndex.entry(of: word)
            if word != 0 && Int128(self.entries[entry].state.load(ordering: .relaxed)) <= shift {
                Interleaving.record(.expired(AnyHashable(self.entries[entry].key)))
                self.entries[entry].state.store(Self.retiredState, ordering: .relaxed)
                self.unlink(slot: slot, entry: entry, index: index, writer: &writer)
                writer.expired += 1
            } else {
                slot += 1
            }
        }
        for slot in 0...index.mask {
            let word = index.slots[slot].load(ordering: .relaxed)
            if word != 0 {
                let entry = self.entries + SlotIndex.entry(of: word)
                let shifted = Int64(Int128(entry.pointee.state.load(ordering: .relaxed)) - shift)
                entry.pointee.state.store(shifted, ordering: .relaxed)
            }
        }
        // Every dropped bucket was full at `now`, the new epoch, and older readings count as the
        // epoch: the floor, shifted like the states, is at least 0.
        writer.floor = Int64(max(0, Int128(writer.floor) - shift))
        let newEpoch = max(now, epoch)
        Interleaving.record(.rebased)
        self.epoch.store(newEpoch, ordering: .sequentiallyConsistent)
        // Reopen. Sequentially consistent (so releasing): a reader that sees the path open also
        // sees the new epoch and the shifted states.
        self.fastPathEnd.store(Self.fastPathEnd(epoch: newEpoch, arithmetic: self.arithmetic), ordering: .sequentiallyConsistent)
    }

    var statistics: RateLimiterStatistics {
        let retries = self.readers.retries
        return self.writer.withLock(0) { writer in
            RateLimiterStatistics(
                trackedKeys: writer.count,
                expiredBuckets: writer.expired,
                evictedBuckets: writer.evicted,
                compareExchangeRetries: retries
            )
        }
    }
}
