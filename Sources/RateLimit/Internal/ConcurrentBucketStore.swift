import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

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
    /// The current index's mask, for ``prefetch(hash:)`` only: written after each new index is
    /// published, read without a read section (a stale mask only misdirects a prefetch).
    @usableFromInline let indexMask: Atomic<Int>
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

    /// - Parameter expeditedReaders: Whether read sections rely on `membarrier` (see
    ///   ``GracePeriodTracker``); `nil` uses it wherever the kernel allows it.
    init(arithmetic: BucketArithmetic, maxKeys: Int, epoch: Int64, expeditedReaders: Bool? = nil)
        throws(RateLimitError)
    {
        self.arithmetic = arithmetic
        self.maxKeys = maxKeys
        self.slotLimit = HashTag.slotLimit(forKeys: maxKeys)
        self.entryCapacity = maxKeys + max(16, maxKeys / 8)
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let bytes = self.entryCapacity * MemoryLayout<Entry>.stride
        self.mappedBytes = (bytes + pageSize - 1) / pageSize * pageSize
        // Reserve address space only: untouched pages cost no memory, so a large maxKeys is free
        // until that many keys arrive.
        let mapping = mmap(
            nil, self.mappedBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let mapping, mapping != MAP_FAILED else {
            throw .invalidConfiguration(
                "maxKeys",
                maxKeys,
                allowed:
                    "small enough to reserve \(self.mappedBytes) bytes of address space (mmap failed, errno \(errno))"
            )
        }
        self.entries = mapping.bindMemory(to: Entry.self, capacity: self.entryCapacity)
        self.readers = GracePeriodTracker(expedited: expeditedReaders)
        self.index = Atomic(SlotIndex.allocate(slots: min(self.slotLimit, 16)).base)
        self.indexMask = Atomic(min(self.slotLimit, 16) - 1)
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

    /// The longest walk from a key's home slot to its slot in the index, read under the writer
    /// lock (only writers replace or change the index's occupied slots).
    ///
    /// - Complexity: O(slots).
    var longestProbe: Int {
        self.writer.withLock(0) { _ in
            let index = SlotIndex(self.index.load(ordering: .relaxed))
            var longest = 0
            for slot in 0...index.mask {
                let word = index.slots[slot].load(ordering: .relaxed)
                if word != 0 {
                    let tag = SlotIndex.tag(of: word)
                    longest = max(longest, HashTag.displacement(slot: slot, tag: tag, mask: index.mask))
                }
            }
            return longest
        }
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
