import CRateLimitShims
import Synchronization

/// A bounded hash table from key to bucket state, for use under a lock (``MutexRateLimiter`` has
/// one, ``ShardedRateLimiter`` one per shard).
///
/// Open addressing with linear probing and backward-shift deletion, so there are no tombstones
/// and probe lengths stay short under churn. A parallel array of 32-bit hash tags lets a probe
/// skip non-matching slots without comparing keys. The table grows by doubling up to the slot
/// count that holds `maxKeys` at a 3/4 load, so an idle limiter costs almost nothing.
///
/// ## Bounded memory
/// Inserting into a table that holds `maxKeys` buckets first calls ``makeRoom(nowTicks:arithmetic:)``, which
/// examines up to ``evictionWindow`` buckets from a clock hand that sweeps the table:
/// 1. every *full* bucket found is dropped (no decision changes: full and absent are the same);
/// 2. if none was full, the examined bucket that will be full soonest — the one owing the fewest
///    tokens — is evicted and counted.
/// Each insert does O(``evictionWindow``) work at most; no background thread is needed.
///
/// ## The drop floor
/// A caller may read the clock, wait for the lock, and decide after another caller dropped buckets
/// with a later reading. Were an absent key then a full bucket at the stale reading, a bucket
/// dropped as full at 15 s would come back full at 12.5 s: its time would move backwards and the
/// key would earn the 2.5 s twice. So the table keeps ``floor``, the latest reading any drop or
/// eviction used, and an absent key is a bucket that was full *at the floor*: for a reading at or
/// after the floor that is a full bucket, exactly as before the drop; for an older reading it owes
/// `floor − now`, which is at least what the dropped bucket owed (it was full by the floor), so the
/// decision is never more permissive than keeping the bucket would have been. Eviction of a bucket
/// that still owed tokens forgives what it owed — counted — and at most one window of it, even when
/// the evicting caller's own reading is stale (``BucketArithmetic/floor(_:afterRemoving:now:)``).
/// The floor costs nothing on the hot path: only absent keys read it, only maintenance writes it.
///
/// ## Epoch
/// Stored states are ticks since ``epoch``. Once the clock has run `rebaseAfterNanoseconds` past
/// the epoch (at least a second, 146 years when a tick is a nanosecond) the next decision drops
/// every full bucket and shifts the rest to a new epoch, so ticks never overflow however long the
/// process runs.
@usableFromInline
package struct BucketTable<Key: Hashable>: ~Copyable {
    @usableFromInline
    struct Element {
        /// Ticks since the epoch at which the bucket is full. First, at offset 0, so that the
        /// eviction scan can read it as raw bytes (``storedBytes(_:)``).
        @usableFromInline var stored: Int64
        @usableFromInline var key: Key

        @inlinable
        init(key: Key, stored: Int64) {
            self.stored = stored
            self.key = key
        }
    }

    /// How many occupied slots one insert into a full table examines at most.
    @inlinable
    static var evictionWindow: Int { 16 }

    @usableFromInline var tags: UnsafeMutablePointer<UInt32>
    @usableFromInline var elements: UnsafeMutablePointer<Element>
    @usableFromInline var mask: Int
    @usableFromInline var count: Int
    @usableFromInline let maxKeys: Int
    @usableFromInline let slotLimit: Int
    @usableFromInline var hand: Int
    @usableFromInline var epoch: Int64
    /// Ticks since the epoch of the latest reading a drop or an eviction used; at least 0. An
    /// absent key is decided as a bucket that was full at this moment (see the type's
    /// documentation).
    @usableFromInline var floor: Int64
    @usableFromInline var expired: Int
    @usableFromInline var evicted: Int
    /// Where the arrays are — tags, elements, mask — for ``prefetch(hash:layout:)``, which runs
    /// before the lock is taken: written under the lock whenever they move, read without it. Three
    /// words of their own allocation, so that reading them races with no other field.
    @usableFromInline let layout: UnsafeMutablePointer<Atomic<Int>>

    init(maxKeys: Int, epoch: Int64) {
        precondition(MemoryLayout<Element>.offset(of: \Element.stored) == 0, "storedBytes reads offset 0")
        self.maxKeys = maxKeys
        self.slotLimit = HashTag.slotLimit(forKeys: maxKeys)
        let slots = min(self.slotLimit, 16)
        self.tags = .allocate(capacity: slots)
        self.tags.initialize(repeating: 0, count: slots)
        self.elements = Self.allocateElements(slots)
        self.mask = slots - 1
        self.count = 0
        self.hand = 0
        self.epoch = epoch
        self.floor = 0
        self.expired = 0
        self.evicted = 0
        self.layout = .allocate(capacity: 3)
        for word in 0..<3 {
            (self.layout + word).initialize(to: Atomic(0))
        }
        self.publishLayout()
    }

    deinit {
        for slot in 0...self.mask where self.tags[slot] != 0 {
            (self.elements + slot).deinitialize(count: 1)
        }
        self.tags.deallocate()
        self.elements.deallocate()
        self.layout.deinitialize(count: 3)
        self.layout.deallocate()
    }

    /// Records where the arrays are now, for prefetches.
    @inlinable
    func publishLayout() {
        // Relaxed: a hint. A prefetch that reads a mix of old and new words only loads a useless
        // line; it never dereferences what it computes.
        self.layout[0].store(Int(bitPattern: self.tags), ordering: .relaxed)
        self.layout[1].store(Int(bitPattern: self.elements), ordering: .relaxed)
        self.layout[2].store(self.mask, ordering: .relaxed)
    }

    /// Starts loading the lines of `hash`'s home slot — its tag and its element — into the cache
    /// before the caller reads the clock and takes the lock, so that the misses overlap both and
    /// the lock is held for less time.
    /// `slot` (masked to the table) instead of the home slot: a ``BucketHandle``'s hint.
    @inlinable
    static func prefetch(hash: Int, slot: Int? = nil, layout: UnsafeMutablePointer<Atomic<Int>>) {
        // The home slot is the tag masked to the table.
        let slot = (slot ?? Int(HashTag.tag(hash))) & layout[2].load(ordering: .relaxed)
        let tags = layout[0].load(ordering: .relaxed)
        let elements = layout[1].load(ordering: .relaxed)
        crl_prefetch(UnsafeRawPointer(bitPattern: tags &+ slot &* MemoryLayout<UInt32>.stride))
        crl_prefetch(UnsafeRawPointer(bitPattern: elements &+ slot &* MemoryLayout<Element>.stride))
    }

    /// The longest walk from a key's home slot to its slot (0 when every key is at home).
    ///
    /// - Complexity: O(slots).
    var longestProbe: Int {
        var longest = 0
        for slot in 0...self.mask where self.tags[slot] != 0 {
            longest = max(longest, HashTag.displacement(slot: slot, tag: self.tags[slot], mask: self.mask))
        }
        return longest
    }

    /// Applies `operation` to `key`'s bucket at `now` (clock nanoseconds).
    ///
    /// - Complexity: O(1) expected; an insert into a full table adds O(``evictionWindow``).
    @inlinable
    package mutating func apply<Operation: BucketOperation>(
        _ operation: Operation,
        to key: Key,
        hash: Int,
        now: Int64,
        arithmetic: BucketArithmetic
    ) -> Operation.Result {
        let nowTicks = self.ticks(at: now, arithmetic: arithmetic)
        let tag = HashTag.tag(hash)
        let slot = self.find(key, tag: tag, hint: nil)
        return self.apply(operation, to: key, tag: tag, at: slot, nowTicks: nowTicks, arithmetic: arithmetic)
    }

    /// ``apply(_:to:hash:now:arithmetic:)`` trying `hint` (a ``BucketHandle``'s slot) before the
    /// key's home slot. A separate copy, so that the plain decision's code stays as it was.
    @inlinable
    package mutating func apply<Operation: BucketOperation>(
        _ operation: Operation,
        to key: Key,
        hash: Int,
        hint: Int,
        now: Int64,
        arithmetic: BucketArithmetic
    ) -> Operation.Result {
        let nowTicks = self.ticks(at: now, arithmetic: arithmetic)
        let tag = HashTag.tag(hash)
        let slot = self.find(key, tag: tag, hint: hint)
        return self.apply(operation, to: key, tag: tag, at: slot, nowTicks: nowTicks, arithmetic: arithmetic)
    }

    /// `now` in ticks since the epoch, rebasing first if the epoch is too old for it.
    @inlinable
    @inline(__always)
    package mutating func ticks(at now: Int64, arithmetic: BucketArithmetic) -> Int64 {
        if let nowTicks = arithmetic.ticks(at: now, epoch: self.epoch) { return nowTicks }
        self.rebase(now: now, arithmetic: arithmetic)
        // Just rebased to `now` (or later): 0 ticks away at most a rebase period.
        return arithmetic.ticks(at: now, epoch: self.epoch) ?? 0
    }

    /// The operation once the probe is done: on the bucket at `slot`, or on an absent key.
    @inlinable
    @inline(__always)
    package mutating func apply<Operation: BucketOperation>(
        _ operation: Operation,
        to key: Key,
        tag: UInt32,
        at slot: Int?,
        nowTicks: Int64,
        arithmetic: BucketArithmetic
    ) -> Operation.Result {
        if let slot {
            let (result, newStored) = operation.apply(
                stored: self.elements[slot].stored, nowTicks: nowTicks, arithmetic: arithmetic)
            if let newStored {
                self.elements[slot].stored = newStored
            }
            return result
        }
        // Absent means full at the floor: full for any reading since the last drop, never full
        // earlier than a dropped bucket was. Only an operation that takes tokens creates a bucket:
        // peeks and requests above the capacity leave the table as it is.
        if let result = operation.absentKeyResult { return result }
        let (result, newStored) = operation.apply(stored: self.floor, nowTicks: nowTicks, arithmetic: arithmetic)
        if let newStored {
            self.insert(Element(key: key, stored: newStored), tag: tag, nowTicks: nowTicks, arithmetic: arithmetic)
        }
        return result
    }

    /// What a reservation's cancellation checks to know that the table still holds the bucket the
    /// reservation changed, with states on the same epoch: no rebase, and no eviction of a bucket
    /// that owed tokens, since (see ``Cancellation``).
    package var generation: BucketGeneration {
        BucketGeneration(epoch: self.epoch, evictions: self.evicted)
    }

    /// The slot holding `key`: `hint` first (masked to the table: a hint may come from before a
    /// growth), then the probe from the tag's home slot. A key sits at one slot at most, so a
    /// slot whose element has `key` is its slot, however it was found.
    @inlinable
    @inline(__always)
    func find(_ key: Key, tag: UInt32, hint: Int?) -> Int? {
        if let hint {
            let slot = hint & self.mask
            if self.tags[slot] == tag && self.elements[slot].key == key { return slot }
        }
        var slot = HashTag.home(tag, mask: self.mask)
        while self.tags[slot] != 0 {
            if self.tags[slot] == tag && self.elements[slot].key == key { return slot }
            slot = (slot &+ 1) & self.mask
        }
        return nil
    }

    /// Where `key` is, or its home slot if it is absent: a ``BucketHandle``'s hint.
    func slot(of key: Key, hash: Int) -> Int {
        let tag = HashTag.tag(hash)
        return self.find(key, tag: tag, hint: nil) ?? HashTag.home(tag, mask: self.mask)
    }

    // The slow paths below are `@inlinable` too: a generic method that is not inlinable runs
    // unspecialised in the client, resolving `Key`'s metadata at run time on every call.

    /// Inserts an element whose key is known to be absent.
    @inlinable
    mutating func insert(_ element: consuming Element, tag: UInt32, nowTicks: Int64, arithmetic: BucketArithmetic) {
        if self.count >= self.maxKeys {
            self.makeRoom(nowTicks: nowTicks, arithmetic: arithmetic)
        }
        if (self.count + 1) * 4 > (self.mask + 1) * 3 && self.mask + 1 < self.slotLimit {
            self.grow()
        }
        var slot = HashTag.home(tag, mask: self.mask)
        while self.tags[slot] != 0 {
            slot = (slot &+ 1) & self.mask
        }
        self.tags[slot] = tag
        (self.elements + slot).initialize(to: element)
        self.count += 1
    }

    /// Frees at least one slot in a table at `maxKeys`: see the type's documentation.
    ///
    /// - Complexity: O(``evictionWindow``) slots at the table's load, plus one removal per bucket
    ///   dropped.
    @inlinable
    mutating func makeRoom(nowTicks: Int64, arithmetic: BucketArithmetic) {
        // Under a flood of new keys no examined bucket is full: rank the window in one pass that
        // never branches on what it reads (a mispredicted branch per slot was most of an insert's
        // time), then evict. Only a window holding a full bucket takes the pass that drops.
        let ranking = self.rankWindow(nowTicks: nowTicks)
        guard ranking.sawFull || ranking.victim < 0 else {
            Interleaving.record(.evicted(AnyHashable(self.elements[ranking.victim].key)))
            self.floor = arithmetic.floor(self.floor, afterRemoving: ranking.victimStored, now: nowTicks)
            self.remove(at: ranking.victim)
            self.evicted += 1
            self.hand = ranking.end
            return
        }
        var slot = self.hand & self.mask
        var examined = 0
        var freed = 0
        var victim = -1
        var victimStored = Int64.max
        var visited = 0
        while examined < Self.evictionWindow && visited <= self.mask && self.count > 0 {
            if self.tags[slot] != 0 {
                examined += 1
                let stored = self.elements[slot].stored
                if stored <= nowTicks {
                    // Backward shift may pull a not-yet-examined element into this slot:
                    // examine the same slot again.
                    Interleaving.record(.expired(AnyHashable(self.elements[slot].key)))
                    self.remove(at: slot)
                    self.expired += 1
                    freed += 1
                    continue
                }
                if stored < victimStored {
                    victim = slot
                    victimStored = stored
                }
            }
            slot = (slot + 1) & self.mask
            visited += 1
        }
        self.hand = slot
        if freed == 0 && victim >= 0 {
            // No removal happened in this pass, so `victim` still names the slot it was ranked in.
            Interleaving.record(.evicted(AnyHashable(self.elements[victim].key)))
            self.floor = arithmetic.floor(self.floor, afterRemoving: victimStored, now: nowTicks)
            self.remove(at: victim)
            self.evicted += 1
        } else if freed > 0 {
            // What left the table was full at this reading: absent keys are never decided as if
            // time were earlier.
            self.floor = max(self.floor, nowTicks)
        }
    }

    /// The ``makeRoom(nowTicks:arithmetic:)`` window from the hand, read without changing the
    /// table: whether it holds a full bucket and, if none, the bucket that owes the fewest tokens
    /// (the first such, as the dropping pass ranks), and the slot after the window.
    @inlinable
    func rankWindow(nowTicks: Int64) -> (sawFull: Bool, victim: Int, victimStored: Int64, end: Int) {
        // Locals: `self`'s fields would otherwise be loaded again on every slot.
        let tags = self.tags
        let elements = self.elements
        let mask = self.mask
        var slot = self.hand & mask
        var visited = 0
        var ranking = EvictionRanking()
        while ranking.examined < Self.evictionWindow && visited <= mask && self.count > 0 {
            // An empty slot's bytes are loaded too (see `storedBytes`); the ranking ignores them.
            ranking.consider(
                slot: slot, state: Self.storedBytes(elements + slot),
                occupancy: EvictionRanking.occupancy(ofLow32: UInt64(tags[slot])))
            slot = (slot &+ 1) & mask
            visited &+= 1
        }
        // The least stored state is at or before `nowTicks` exactly when some bucket is full.
        return (ranking.victimState <= nowTicks, ranking.victim, ranking.victimState, slot)
    }

    /// The `stored` field of the element at `element`, occupied or not, as raw bytes: an unconditional load the
    /// compiler may schedule ahead of the occupancy test. Every slot's bytes are initialised:
    /// zeroed when the array is allocated, then whatever an element left there.
    @inlinable
    @inline(__always)
    static func storedBytes(_ element: UnsafeMutablePointer<Element>) -> Int64 {
        UnsafeRawPointer(element).load(as: Int64.self)
    }

    /// An element array of `slots` slots with every byte zeroed (see ``storedBytes(_:)``).
    @inlinable
    static func allocateElements(_ slots: Int) -> UnsafeMutablePointer<Element> {
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: slots * MemoryLayout<Element>.stride, alignment: MemoryLayout<Element>.alignment)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: slots * MemoryLayout<Element>.stride)
        return raw.bindMemory(to: Element.self, capacity: slots)
    }

    /// Removes the element at `slot`, shifting later elements of its probe run back so that no
    /// lookup ever needs a tombstone.
    @inlinable
    mutating func remove(at slot: Int) {
        (self.elements + slot).deinitialize(count: 1)
        self.tags[slot] = 0
        self.count -= 1
        var hole = slot
        var next = (slot + 1) & self.mask
        while self.tags[next] != 0 {
            let home = HashTag.home(self.tags[next], mask: self.mask)
            // `next` may move into `hole` when the hole lies on its probe path, home...next.
            if (next &- home) & self.mask >= (next &- hole) & self.mask {
                self.tags[hole] = self.tags[next]
                (self.elements + hole).moveInitialize(from: self.elements + next, count: 1)
                self.tags[next] = 0
                hole = next
            }
            next = (next + 1) & self.mask
        }
    }

    @inlinable
    mutating func grow() {
        let oldTags = self.tags
        let oldElements = self.elements
        let oldSlots = self.mask + 1
        let slots = oldSlots * 2
        self.tags = .allocate(capacity: slots)
        self.tags.initialize(repeating: 0, count: slots)
        self.elements = Self.allocateElements(slots)
        self.mask = slots - 1
        for old in 0..<oldSlots where oldTags[old] != 0 {
            let tag = oldTags[old]
            var slot = HashTag.home(tag, mask: self.mask)
            while self.tags[slot] != 0 {
                slot = (slot &+ 1) & self.mask
            }
            self.tags[slot] = tag
            (self.elements + slot).moveInitialize(from: oldElements + old, count: 1)
        }
        oldTags.deallocate()
        oldElements.deallocate()
        self.publishLayout()
    }

    /// Moves the epoch to `now`: drops every full bucket, then re-expresses the others relative to
    /// the new epoch. Rare: at most once per `rebaseAfterNanoseconds` of clock time.
    @inlinable
    mutating func rebase(now: Int64, arithmetic: BucketArithmetic) {
        // In 128 bits: after a long idle period, ticks since the old epoch may not fit in 64.
        let nowTicks = Int128(now) &- Int128(self.epoch)
        let shift = max(0, nowTicks) &* Int128(arithmetic.ticksPerNanosecond)
        // Two passes: removals shift elements around, so each survivor is shifted exactly once
        // only after all removals are done.
        var slot = 0
        while slot <= self.mask {
            if self.tags[slot] != 0 && Int128(self.elements[slot].stored) <= shift {
                Interleaving.record(.expired(AnyHashable(self.elements[slot].key)))
                self.remove(at: slot)
                self.expired += 1
            } else {
                slot += 1
            }
        }
        for slot in 0...self.mask where self.tags[slot] != 0 {
            self.elements[slot].stored = Int64(Int128(self.elements[slot].stored) - shift)
        }
        // Every dropped bucket was full at `now`, the new epoch; readings older than the epoch
        // count as the epoch. So the floor, shifted like the states, is at least 0.
        self.floor = Int64(max(0, Int128(self.floor) - shift))
        Interleaving.record(.rebased)
        self.epoch = max(now, self.epoch)
    }

    var statistics: RateLimiterStatistics {
        RateLimiterStatistics(trackedKeys: self.count, expiredBuckets: self.expired, evictedBuckets: self.evicted)
    }
}
