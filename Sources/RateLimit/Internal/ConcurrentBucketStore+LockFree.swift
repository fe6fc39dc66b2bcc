import CRateLimitShims
import Synchronization

// The decision on a tracked key: a read section, a probe and a compare-and-swap loop.
extension ConcurrentBucketStore {
    /// Starts loading the key's home slot of the index into the cache, so that the miss overlaps
    /// the caller's clock read instead of following it. Needs no read section: it reads only
    /// atomics and dereferences nothing (a prefetch of an index freed meanwhile is harmless).
    @inlinable
    func prefetch(hash: Int) {
        // The home slot is the tag masked to the index: `prefetch(slot:)` masks.
        self.prefetch(slot: Int(HashTag.tag(hash)))
    }

    /// Starts loading `slot` (masked to the current index) into the cache, as ``prefetch(hash:)``.
    @inlinable
    func prefetch(slot: Int) {
        // Relaxed: a hint; the decision loads both again, in order, inside its read section.
        let index = self.index.load(ordering: .relaxed)
        let slot = slot & self.indexMask.load(ordering: .relaxed)
        crl_prefetch(index + SlotIndex.headerBytes + slot &* MemoryLayout<Atomic<UInt64>>.stride)
    }

    /// Decides for a tracked key without a lock, or returns `nil` when the lock is needed: the key
    /// is absent (or hidden by a concurrent move), its entry is being retired, a rebase is due, or
    /// the calling thread is already inside a read section.
    ///
    /// - Complexity: O(1) expected; allocates nothing.
    @inlinable
    func decideLockFree(_ key: Key, hash: Int, cost: Int, now: Int64) -> RateLimitDecision? {
        guard let section = self.readers.enter() else { return nil }
        defer { self.readers.exit(section) }
        guard let (nowTicks, index) = self.sectionStart(now: now),
            let (_, entry) = self.find(key, tag: HashTag.tag(hash), hint: nil, in: index)
        else { return nil }
        Interleaving.reach(.probed)
        return self.update(entry, Acquisition(cost: cost), nowTicks: nowTicks, countingRetries: true)
    }

    /// ``decideLockFree(_:hash:cost:now:)`` trying `hint` (a ``BucketHandle``'s slot) before the
    /// key's home slot. A separate copy, so that the plain decision's code stays as it was.
    @inlinable
    func decideLockFree(_ key: Key, hash: Int, hint: Int, cost: Int, now: Int64) -> RateLimitDecision? {
        guard let section = self.readers.enter() else { return nil }
        defer { self.readers.exit(section) }
        guard let (nowTicks, index) = self.sectionStart(now: now),
            let (_, entry) = self.find(key, tag: HashTag.tag(hash), hint: hint, in: index)
        else { return nil }
        Interleaving.reach(.probed)
        return self.update(entry, Acquisition(cost: cost), nowTicks: nowTicks, countingRetries: true)
    }

    /// What a read section decides with: `now` in ticks since the epoch, and the index; `nil` when
    /// a rebase is due (the lock-free path is shut, or `now` is past its end).
    @inlinable
    @inline(__always)
    func sectionStart(now: Int64) -> (nowTicks: Int64, index: SlotIndex)? {
        // Sequentially consistent loads of everything a writer may unlink or change, here and in
        // `find`: they must be ordered after `enter()` (see GracePeriodTracker). On x86-64 they
        // are plain loads.
        guard now < self.fastPathEnd.load(ordering: .sequentiallyConsistent) else { return nil }
        // Below `fastPathEnd`, ticks since the epoch are below 2⁶²: no overflow.
        let elapsed = now &- self.epoch.load(ordering: .sequentiallyConsistent)
        let nowTicks = elapsed > 0 ? elapsed &* self.arithmetic.ticksPerNanosecond : 0
        return (nowTicks, SlotIndex(self.index.load(ordering: .sequentiallyConsistent)))
    }

    /// The slot and entry of `key` in `index`: `hint` first, if given, then the probe from the
    /// tag's home slot; `nil` if the probe meets an empty slot. Inside a read section only: the
    /// entry stays `key`'s until the section ends.
    ///
    /// Why a hint needs no more checking than a probe: finding the slot non-empty acquires the
    /// entry's initialisation (the writer published it with its store of that slot, as for any
    /// slot a probe reads), and an entry still linked when the section read its slot is reused
    /// only after a grace period that waits for this section. So a linked entry whose key is
    /// `key` is `key`'s bucket, wherever it was found.
    @inlinable
    @inline(__always)
    func find(
        _ key: Key, tag: UInt32, hint: Int?, in index: SlotIndex
    ) -> (slot: Int, entry: UnsafeMutablePointer<Entry>)? {
        let mask = index.mask
        if let hint {
            // Masked: the hint may come from a smaller or larger index than this one.
            let slot = hint & mask
            let word = index.slots[slot].load(ordering: .sequentiallyConsistent)
            if word != 0 && SlotIndex.tag(of: word) == tag {
                let entry = self.entries + SlotIndex.entry(of: word)
                if entry.pointee.key == key { return (slot, entry) }
            }
        }
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
                if entry.pointee.key == key { return (slot, entry) }
            }
            Interleaving.reach(.probeStep)
            slot = (slot &+ 1) & mask
        }
    }

    /// Where `key`'s entry is in the current index, or its home slot there if it has none (or the
    /// calling thread is inside a read section already): a ``BucketHandle``'s hint.
    func slot(of key: Key, hash: Int) -> Int {
        let tag = HashTag.tag(hash)
        guard let section = self.readers.enter() else {
            return HashTag.home(tag, mask: self.indexMask.load(ordering: .relaxed))
        }
        defer { self.readers.exit(section) }
        // Sequentially consistent: after `enter()`, as in `decideLockFree`.
        let index = SlotIndex(self.index.load(ordering: .sequentiallyConsistent))
        return self.find(key, tag: tag, hint: nil, in: index)?.slot ?? HashTag.home(tag, mask: index.mask)
    }

    /// The compare-and-swap loop on one bucket: apply `operation` to the state read, install the
    /// new state only if nobody changed it meanwhile, otherwise apply it again to the newer state.
    /// Returns `nil` if the entry was retired. Lock-free callers count their retries in the
    /// statistics.
    @inlinable
    func update<Operation: BucketOperation>(
        _ entry: UnsafeMutablePointer<Entry>, _ operation: Operation, nowTicks: Int64, countingRetries: Bool
    ) -> Operation.Result? {
        // Relaxed throughout: the word is the bucket's entire state and publishes nothing else, so
        // only its own modification order matters, and a compare-and-swap always compares with the
        // latest value in that order. A denial or a peek reads without writing: it is linearised at
        // its load.
        var state = entry.pointee.state.load(ordering: .relaxed)
        while true {
            if state == Self.retiredState {
                return nil
            }
            let (result, newStored) = operation.apply(stored: state, nowTicks: nowTicks, arithmetic: self.arithmetic)
            guard let newStored else {
                return result
            }
            Interleaving.reach(.beforeCompareExchange)
            let (exchanged, current) = entry.pointee.state.weakCompareExchange(
                expected: state,
                desired: newStored,
                ordering: .relaxed
            )
            if exchanged {
                return result
            }
            state = current
            if countingRetries {
                self.readers.recordRetry()
            }
        }
    }
}
