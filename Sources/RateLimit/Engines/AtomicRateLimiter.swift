/// Lock-free decisions: each bucket's whole state is one 64-bit atomic word, updated by a
/// compare-and-swap loop.
///
/// A decision on a key already tracked takes no lock and allocates nothing: it reads the clock,
/// enters a read section (a plain store to a word of the calling thread's own), probes a lock-free
/// index, swaps the bucket's word from the state it read to the state it computed — retrying from
/// the newer state if another thread got there first — and leaves the section (another plain
/// store): one locked instruction on x86-64, the compare-and-swap. (Where the kernel refuses
/// `membarrier`, entering the section is a fenced store, `xchg`: two.) Threads working on
/// different keys share no lock and no counter (a bucket word is 8 bytes of a 16–24-byte entry, so
/// neighbouring entries may share a cache line); threads on one hot key contend only on that
/// bucket's word. Inserting a new key, evicting, growing the index and rebasing take a writer lock;
/// growing, rebasing and reusing evicted entries also wait, holding it, until every read section
/// that began earlier has ended — so a reader preempted inside one delays writers, never readers.
///
/// `Key`'s `==` runs inside the lock-free read section: it must not block or decide on any
/// `AtomicRateLimiter` (a writer waiting for readers to leave would wait on it: on the same
/// limiter that traps, across two limiters it can deadlock). Keys are hashed before the
/// section, with the seeded multiply-xorshift of ``RateLimitKey`` for `Int` and the other
/// conforming types, with SipHash (`hashValue`) for the rest.
///
/// ## The bucket word
/// ```
///  63                                                             0
/// ┌─────────────────────────────────────────────────────────────────┐
/// │ signed ticks since the engine epoch at which the bucket is full │
/// └─────────────────────────────────────────────────────────────────┘
///   smooth:   TAT·M       GCRA's theoretical arrival time, M = refill / gcd(refill, interval ns)
///   stepped:  F·r − e     F: the nanosecond the bucket is full, e ∈ 0..<r: tokens of the last
///                         step that overflow the capacity (r = refill = M)
///   Int64.min             retired: the entry left the index; racing swaps fail and retry locked
/// ```
/// A tick is `1/M` ns, so fractional rates are exact: 7 tokens per millisecond is one token every
/// 1,000,000/7 ns, carried exactly. The integers packed into the stepped word (`F` and `e`) are
/// recovered as `F = ⌈w/r⌉`, `e = F·r − w`.
///
/// ## Range, and why time cannot wrap
/// ``BucketPolicy`` enforces the limits when the policy is created: `M ≤ 2³²` and a refill window
/// (time to refill from empty) of at most 2⁶¹ ticks. Ticks are counted from an epoch, not from boot,
/// and the lock-free path is valid only while the clock is less than `2⁶²/M` ns past the epoch — at
/// least one second, 146 years when `M = 1`. The first decision after that shuts the lock-free path,
/// waits until no reader is inside it, drops every full bucket, subtracts the elapsed ticks from the
/// others, moves the epoch and reopens (for the finest policies, `M` near 2³², that is about once a
/// second: a pause of one scan of the index). So every stored word stays in `0...2⁶² + 2⁶¹`, ticks since
/// the epoch stay below 2⁶², and `ticks + debt` never overflows, whether the process runs for a
/// minute or for decades; a bucket idle for years is simply full. A clock reading older than the
/// epoch counts as the epoch, a reading older than a bucket's stored time only increases its debt,
/// and an absent key is a bucket full at the latest reading any drop or eviction used (the drop
/// floor), so none of them can create tokens.
///
/// ## Memory
/// Per tracked key: one entry (`8 + MemoryLayout<Key>.stride` bytes: 16 for an `Int` key, 24 for a
/// `String`) and 8-byte index slots at a load of 3/8 to 3/4 (11–21 bytes). Entries live in an
/// address range reserved for `maxKeys + maxKeys/8` entries at initialisation and committed by the
/// kernel only as they are used. Evicted entries are reused after a grace period: once no reader
/// can still hold them (``BoundedRateLimiter``).
public final class AtomicRateLimiter<Key: Hashable & Sendable>: BoundedRateLimiter, @unchecked Sendable {
    // @unchecked: `store` is raw memory guarded by atomics, grace periods and a writer lock (see
    // ConcurrentBucketStore).

    /// The policy every bucket follows.
    public let policy: BucketPolicy
    /// The most buckets the engine keeps at once.
    public let maxKeys: Int
    @usableFromInline let clock: ClockSource
    @usableFromInline let store: ConcurrentBucketStore<Key>
    @usableFromInline let hashing = KeyHashing<Key>()

    /// Creates an engine.
    ///
    /// - Parameters:
    ///   - policy: The policy of every bucket. Every valid ``BucketPolicy`` fits the 64-bit word.
    ///   - maxKeys: The most buckets kept at once, in `1...2³⁰`; ``RateLimiterDefaults/maxKeys``
    ///     by default.
    ///   - clock: The time source; ``MonotonicClock`` by default.
    /// - Throws: ``RateLimitError/Code/invalidConfiguration`` for a `maxKeys` out of range, or if
    ///   the address space for `maxKeys` entries cannot be reserved.
    public convenience init(
        policy: BucketPolicy,
        maxKeys: Int = RateLimiterDefaults.maxKeys,
        clock: some RateLimitClock = MonotonicClock()
    ) throws(RateLimitError) {
        try self.init(policy: policy, maxKeys: maxKeys, clock: clock, expeditedReaders: nil)
    }

    /// Creates an engine whose read sections are fenced (`expeditedReaders: false`) even where
    /// `membarrier` is available, so that tests cover both kinds (see ``GracePeriodTracker``).
    package init(
        policy: BucketPolicy,
        maxKeys: Int,
        clock: some RateLimitClock,
        expeditedReaders: Bool?
    ) throws(RateLimitError) {
        try RateLimiterDefaults.validate(maxKeys: maxKeys)
        self.policy = policy
        self.maxKeys = maxKeys
        self.clock = ClockSource(clock)
        self.store = try ConcurrentBucketStore(
            arithmetic: policy.arithmetic, maxKeys: maxKeys, epoch: self.clock.now(), expeditedReaders: expeditedReaders
        )
    }

    /// Whether read sections announce themselves with plain stores, writers issuing `membarrier`
    /// (`true` wherever the kernel allows it), or with a fenced store.
    package var expeditedReaders: Bool {
        self.store.readers.expedited
    }

    /// - Complexity: O(1) expected. On a tracked key: no lock, no allocation, one successful
    ///   compare-and-swap (plus one retry per concurrent update that won the race) between the read
    ///   section's two plain stores.
    @inlinable
    public func acquire(_ key: Key, cost: Int) -> RateLimitDecision {
        if cost < 0 { negativeCost(cost) }
        let hash = self.hashing.hash(key)
        // The index slot's cache miss, if any, then overlaps the clock read.
        self.store.prefetch(hash: hash)
        let now = self.clock.now()
        Interleaving.reach(.clockRead)
        if let decision = self.store.decideLockFree(key, hash: hash, cost: cost, now: now) {
            return decision
        }
        return self.store.decideLocked(key, hash: hash, cost: cost, now: now)
    }

    /// Takes `cost` tokens from `key`'s bucket, throwing ``RateLimitError/Code/invalidCost`` on a
    /// negative cost instead of trapping. In `async` code a call to `acquire` resolves to this form.
    @inlinable
    public func acquire(_ key: Key, cost: Int) async throws -> RateLimitDecision {
        try self.checkedAcquire(key, cost: cost)
    }

    /// What the table holds and has dropped, read under the engine's lock(s).
    public var statistics: RateLimiterStatistics {
        self.store.statistics
    }

    /// The longest walk of a probe in the index now, in slots past a key's home slot.
    package var longestProbe: Int {
        self.store.longestProbe
    }
}
