import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

// Entry allocation, grace-period reclamation, index growth and rebases: the writer's upkeep.
extension ConcurrentBucketStore {
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
        self.indexMask.store(mask, ordering: .relaxed) // a prefetch hint only
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
        self.fastPathEnd.store(
            Self.fastPathEnd(epoch: newEpoch, arithmetic: self.arithmetic), ordering: .sequentiallyConsistent)
    }
}
