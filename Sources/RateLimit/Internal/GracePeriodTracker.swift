import CRateLimitShims
import Synchronization

/// Tells a writer when no reader can still hold a pointer it has unlinked, so that the memory can
/// be reused: a read-copy-update grace period, after liburcu's "memb" flavour.
///
/// Readers bracket each lock-free lookup with ``enter()`` and ``exit(_:)``, which store to the
/// calling thread's own ``ReaderRecord`` word: the tracker's tag and its current *phase* while
/// inside, 0 outside. A writer that has unlinked something calls ``synchronize()``: it advances
/// the phase, so new readers announce the new one, then waits until no record still announces the
/// old one. After that, no reader that could have seen the unlinked pointer is still running.
///
/// ## Why it is correct (memory orderings)
/// The writer does `store(unlink)` → `store(phase + 1)` → *barrier* → `load(records)`; a reader
/// does `store(word)` → `load(phase)` → `load(pointers)`, and re-announces itself if the phase it
/// loaded is not the one it stored. What needs a full barrier is the reader's store followed by its
/// loads (store→load, the one reordering x86-64 allows). Two ways to get it:
/// - **Expedited** (Linux 4.14+, the default where the kernel allows it): the reader's store is a
///   plain `mov` followed by a compiler barrier, and the writer calls
///   `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)`, which runs a full barrier on every CPU
///   running a thread of this process. Each reader then passes a barrier at some point of its
///   program: if that point follows its `store(word)`, the writer's record loads see the word
///   and wait for it; if it precedes the store, every later load of the reader — its phase check
///   and its pointer loads — sees the writer's phase and unlink, so it re-announces itself in the
///   new phase and cannot reach the unlinked pointer.
/// - **Fenced** (where `membarrier` is refused): the reader's store is sequentially consistent
///   (`xchg`), and so are the writer's phase store and record loads: one total order S. A reader
///   whose phase check sees the old phase stored its word before the writer's phase store in S,
///   hence before the writer's record load, which sees it. A reader whose check comes later in S
///   sees the new phase.
///
/// Either way the reader's `exit` is a releasing store of 0 that the writer's load acquires, so
/// everything the section read happens before the writer reuses the memory. A writer waits only
/// for records announcing *its* tag and *old* phase: sections of other trackers, and sections of
/// its own that began in the new phase, never hold it up — a thread deciding without pause cannot
/// starve it. A thread registering its record during the writer's walk registers with a
/// sequentially consistent exchange before its phase check, so it sees the new phase; a thread
/// that reuses a freed record finds it already in the list, where the walk reaches it.
///
/// Read sections do not nest: ``enter()`` returns `nil` on a thread already inside one, and the
/// caller takes its locked path instead. A grace period that would wait for its own thread's
/// section (a key's `==` deciding on the same limiter) traps instead of waiting forever.
///
/// A child process after `fork()` inherits the records of threads that no longer exist; if one
/// of them was inside a section at the fork, the child's writers wait forever (as with any
/// lock held at a fork): fork before deciding, or exec.
///
/// On x86-64 a read section is a thread-local load, two plain stores and plain loads: no locked
/// instruction (expedited), or one `xchg` (fenced). A grace period costs one `membarrier` call
/// (a few microseconds: an interrupt to each CPU running this process) plus a walk of the records.
@usableFromInline
package struct GracePeriodTracker: ~Copyable, @unchecked Sendable {
    // @unchecked: shared by design; every shared word is atomic (retry counters: raw memory of
    // atomics).
    /// Retry counter words per stripe: 16 × 8 bytes = one 128-byte stripe per CPU.
    @usableFromInline static var stripeWords: Int { 16 }

    /// Whether writers issue `membarrier`, letting readers announce themselves with plain stores.
    @usableFromInline package let expedited: Bool
    /// This tracker's tag in the high 32 bits of a record word, with the low bit set: a word inside
    /// a section is `tag | (phase mod 2³¹) << 1 | 1`, never 0.
    @usableFromInline let tag: UInt64
    @usableFromInline let phase: Atomic<UInt64>
    /// Compare-and-swap retries, striped per CPU: a statistic.
    @usableFromInline let retryCounters: UnsafeMutablePointer<Atomic<Int>>
    @usableFromInline let stripeMask: Int

    /// Creates a tracker; `expedited: nil` uses `membarrier` wherever the kernel allows it.
    package init(expedited: Bool? = nil) {
        self.expedited = expedited ?? Self.membarrierRegistered
        precondition(
            !self.expedited || Self.membarrierRegistered,
            "an expedited grace-period tracker needs membarrier, which this kernel refused")
        // A fresh tag per tracker; after 2³² trackers tags repeat, which can only make a writer
        // wait for another tracker's reader as well — never less than it must.
        self.tag = (trackerTags.wrappingAdd(1, ordering: .relaxed).oldValue & 0xFFFF_FFFF) << 32 | 1
        self.phase = Atomic(0)
        var stripes = 1
        while stripes < Int(crl_configured_cpu_count()) { stripes <<= 1 }
        self.stripeMask = stripes - 1
        let words = stripes * Self.stripeWords
        let raw = UnsafeMutableRawPointer.allocate(byteCount: words * MemoryLayout<Atomic<Int>>.stride, alignment: 128)
        self.retryCounters = raw.bindMemory(to: Atomic<Int>.self, capacity: words)
        for word in 0..<words {
            (self.retryCounters + word).initialize(to: Atomic(0))
        }
    }

    deinit {
        self.retryCounters.deinitialize(count: (self.stripeMask + 1) * Self.stripeWords)
        UnsafeMutableRawPointer(self.retryCounters).deallocate()
    }

    /// Whether this process may use `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)`: registered once.
    package static let membarrierRegistered: Bool = crl_membarrier_register() == 0

    @inlinable
    func word(phase: UInt64) -> UInt64 {
        self.tag | (phase & 0x7FFF_FFFF) << 1
    }

    /// Starts a read section and returns the calling thread's record, or `nil` if the thread is
    /// already inside one.
    @inlinable
    package func enter() -> ReaderRecord? {
        let record = ReaderRecord.current
        // Relaxed: only this thread writes its own word.
        guard record.word.pointee.load(ordering: .relaxed) == 0 else { return nil }
        // Relaxed: the phase only chooses the word; the check below is what orders.
        var phase = self.phase.load(ordering: .relaxed)
        while true {
            Interleaving.reach(.readerPhaseLoaded)
            if self.expedited {
                // Releasing (a plain `mov` on x86-64), then a compiler barrier: the writer's
                // membarrier supplies the CPU's barrier. Releasing, not relaxed: a writer that
                // reads this word instead of the previous section's `exit` must still see that
                // section's reads as done.
                record.word.pointee.store(self.word(phase: phase), ordering: .releasing)
                crl_compiler_barrier()
            } else {
                record.word.pointee.store(self.word(phase: phase), ordering: .sequentiallyConsistent)
            }
            Interleaving.reach(.readerCounted)
            // Sequentially consistent (a plain load on x86-64): see the type's documentation.
            let current = self.phase.load(ordering: .sequentiallyConsistent)
            if current == phase {
                Interleaving.record(.readSection(entered: true))
                return record
            }
            // A writer advanced the phase meanwhile and may already have walked past our record:
            // announce the new phase, which its next grace period will wait for.
            phase = current
        }
    }

    /// Ends the read section that `enter()` started on `record`.
    @inlinable
    package func exit(_ record: ReaderRecord) {
        Interleaving.record(.readSection(entered: false))
        // Releasing: everything the section read happens before the writer, which acquires this
        // word's change, reuses memory.
        record.word.pointee.store(0, ordering: .releasing)
    }

    /// Counts a lost compare-and-swap on the calling CPU's stripe.
    @inlinable
    func recordRetry() {
        let stripe = (Int(crl_current_cpu()) & self.stripeMask) &* Self.stripeWords
        // Relaxed: a statistic, ordered with nothing.
        self.retryCounters[stripe].wrappingAdd(1, ordering: .relaxed)
    }

    /// Total compare-and-swap retries recorded so far.
    var retries: Int {
        (0...self.stripeMask).reduce(0) { sum, stripe in
            sum &+ self.retryCounters[stripe * Self.stripeWords].load(ordering: .relaxed)
        }
    }

    /// Waits until every read section of this tracker that started before this call has ended.
    ///
    /// Writers call it with their own lock held, so at most one runs per tracker at a time. A
    /// reader preempted inside its section delays it until the reader runs again; read sections
    /// themselves never wait for anything.
    @usableFromInline
    package func synchronize() {
        Interleaving.record(.gracePeriod(started: true))
        defer { Interleaving.record(.gracePeriod(started: false)) }
        let phase = self.phase.load(ordering: .relaxed) // only writers, serialised, change it
        self.phase.store(phase &+ 1, ordering: .sequentiallyConsistent)
        Interleaving.reach(.phaseAdvanced)
        if self.expedited {
            let failed = crl_membarrier()
            precondition(failed == 0, "membarrier failed after registering: errno \(failed)")
        }
        let awaited = self.word(phase: phase)
        if let own = crl_reader_record() {
            // Relaxed: only this thread writes its own word.
            precondition(
                ReaderRecord(own).word.pointee.load(ordering: .relaxed) != awaited,
                "a grace period would wait for its own thread's read section: a key's == decided on the same AtomicRateLimiter"
            )
        }
        var next = ReaderRecord.first
        while let record = next {
            var spins = 0
            // Sequentially consistent (so acquiring): see the type's documentation.
            while record.word.pointee.load(ordering: .sequentiallyConsistent) == awaited {
                // Under an interleaving test, wait as a scheduling point: the readers must run.
                if Interleaving.wait(
                    .graceWait, until: { record.word.pointee.load(ordering: .sequentiallyConsistent) != awaited })
                {
                    continue
                }
                spins += 1
                if spins > 64 { crl_yield() }
            }
            next = record.next
        }
    }
}

/// The next tracker tag.
private let trackerTags = Atomic<UInt64>(1)
