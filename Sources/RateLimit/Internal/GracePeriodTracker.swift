import CRateLimitShims
import Synchronization

/// Tells a writer when no reader can still hold a pointer it has unlinked, so that the memory can
/// be reused: a read-copy-update grace period, built from per-CPU reader counters (the scheme of
/// Linux's SRCU).
///
/// Readers bracket each lock-free lookup with ``enter()`` and ``exit(_:)``. Each CPU has its own
/// pair of counters on its own 128-byte line, one per *phase* parity, so readers on different CPUs
/// never write the same cache line. A writer that has unlinked something calls ``synchronize()``:
/// it advances the phase, so new readers count in the other counter, then waits until every
/// counter of the old phase drains to zero. After that, no reader that could have seen the
/// unlinked pointer is still running.
///
/// ## Why it is correct (memory orderings)
/// The writer does `store(unlink)` → `store(phase + 1)` → `load(counters)`; a reader does
/// `add(counter)` → `load(phase)` → `load(pointers)`. All of these are sequentially consistent, so
/// they have one total order S. A reader whose phase check still sees the old phase placed its
/// increment before the writer's phase store in S, hence before the writer's counter load: the
/// writer sees it and waits for its `exit`, a releasing decrement that the writer's load acquires,
/// so the reader's accesses happen before the writer reuses the memory. A reader whose increment
/// comes later sees the new phase, undoes its increment and retries in the new phase; its pointer
/// loads then follow the unlink in S and cannot see the unlinked pointer. (Without the phase check
/// a reader could count itself in a phase the writer has already drained, and the *next* grace
/// period, which waits on the other parity, would miss it.)
///
/// On x86-64 the cost per read section is two `lock xadd` on a CPU-local line, ~5 ns; the
/// sequentially consistent loads are plain `mov`s.
@usableFromInline
struct GracePeriodTracker: ~Copyable {
    /// Counter words per stripe: 16 × 8 bytes = one 128-byte stripe. Word 0 and 1 count readers of
    /// each phase parity; word 2 counts compare-and-swap retries of readers on that CPU.
    @usableFromInline static var stripeWords: Int { 16 }
    @usableFromInline static var retryWord: Int { 2 }

    @usableFromInline let counters: UnsafeMutablePointer<Atomic<Int>>
    @usableFromInline let stripeMask: Int
    @usableFromInline let phase: Atomic<Int>

    init() {
        var stripes = 1
        while stripes < Int(crl_configured_cpu_count()) { stripes <<= 1 }
        self.stripeMask = stripes - 1
        let words = stripes * Self.stripeWords
        let raw = UnsafeMutableRawPointer.allocate(byteCount: words * MemoryLayout<Atomic<Int>>.stride, alignment: 128)
        self.counters = raw.bindMemory(to: Atomic<Int>.self, capacity: words)
        for word in 0..<words {
            (self.counters + word).initialize(to: Atomic(0))
        }
        self.phase = Atomic(0)
    }

    deinit {
        self.counters.deinitialize(count: (self.stripeMask + 1) * Self.stripeWords)
        UnsafeMutableRawPointer(self.counters).deallocate()
    }

    /// Starts a read section and returns its token: the index of the counter it incremented.
    @inlinable
    func enter() -> Int {
        let stripe = (Int(crl_current_cpu()) & self.stripeMask) &* Self.stripeWords
        // Relaxed: the phase only steers readers to a counter; the check below is what orders.
        var phase = self.phase.load(ordering: .relaxed)
        while true {
            let token = stripe &+ (phase & 1)
            Interleaving.reach(.readerPhaseLoaded)
            // Sequentially consistent: see the type's documentation.
            self.counters[token].wrappingAdd(1, ordering: .sequentiallyConsistent)
            Interleaving.reach(.readerCounted)
            let current = self.phase.load(ordering: .sequentiallyConsistent)
            if current == phase {
                Interleaving.record(.readSection(entered: true))
                return token
            }
            // A writer advanced the phase between our load and our increment: we may have
            // counted in a phase it has already drained. Undo and count in the new one.
            self.counters[token].wrappingSubtract(1, ordering: .releasing)
            phase = current
        }
    }

    /// Ends the read section started by the `enter()` that returned `token`.
    @inlinable
    func exit(_ token: Int) {
        Interleaving.record(.readSection(entered: false))
        // Releasing: everything the section read happens before the writer, which acquires this
        // counter's zero, reuses memory.
        self.counters[token].wrappingSubtract(1, ordering: .releasing)
    }

    /// Counts a lost compare-and-swap on the calling reader's stripe (`token` from `enter()`).
    @inlinable
    func recordRetry(_ token: Int) {
        // Relaxed: a statistic, ordered with nothing.
        self.counters[(token & ~(Self.stripeWords - 1)) &+ Self.retryWord].wrappingAdd(1, ordering: .relaxed)
    }

    /// Total compare-and-swap retries recorded so far.
    var retries: Int {
        (0...self.stripeMask).reduce(0) { sum, stripe in
            sum &+ self.counters[stripe * Self.stripeWords + Self.retryWord].load(ordering: .relaxed)
        }
    }

    /// Waits until every read section that started before this call has ended.
    ///
    /// Writers call it with their own lock held, so at most one runs at a time. A reader preempted
    /// inside its section delays it until the reader runs again; read sections themselves never
    /// wait for anything.
    @usableFromInline
    func synchronize() {
        Interleaving.record(.gracePeriod(started: true))
        defer { Interleaving.record(.gracePeriod(started: false)) }
        let phase = self.phase.load(ordering: .relaxed) // only writers, serialised, change it
        self.phase.store(phase &+ 1, ordering: .sequentiallyConsistent)
        Interleaving.reach(.phaseAdvanced)
        for stripe in 0...self.stripeMask {
            let counter = self.counters + (stripe * Self.stripeWords + (phase & 1))
            var spins = 0
            while counter.pointee.load(ordering: .sequentiallyConsistent) != 0 {
                // Under an interleaving test, wait as a scheduling point: the readers must run.
                if Interleaving.wait(
                    .graceWait, until: { counter.pointee.load(ordering: .sequentiallyConsistent) == 0 })
                {
                    continue
                }
                spins += 1
                if spins > 64 { crl_yield() }
            }
        }
    }
}
