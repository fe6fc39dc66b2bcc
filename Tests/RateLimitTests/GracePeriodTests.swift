import RateLimit
import RateLimitTesting
import Synchronization
import Testing

/// The grace periods of ``AtomicRateLimiter``'s read sections, on real threads, with `membarrier`
/// (expedited, where the kernel allows it) and with fenced stores: a writer that unlinks a block,
/// waits for a grace period and then poisons it must never be seen by a reader that still holds it.
/// The interleaving suite checks the same guarantee schedule by schedule, but runs one thread at a
/// time, so it cannot show the store→load reordering that `membarrier` or the fence must stop.
@Suite("Grace periods")
struct GracePeriodTests {
    /// The kinds of read section this machine can run: fenced always, expedited where allowed.
    static let kinds: [Bool] = GracePeriodTracker.membarrierRegistered ? [true, false] : [false]

    /// Readers load the current block, read its value twice around a pause, and leave; the writer
    /// publishes a new block, waits for a grace period and poisons the old one. A reader seeing the
    /// poison, or a value change under it, read a block after its grace period.
    @Test("no reader sees a block poisoned after its grace period", arguments: kinds)
    func noReaderSeesReclaimedMemory(expedited: Bool) {
        let shared = Shared(expedited: expedited, first: Block.make(generation: 1))
        let generations = 2_000
        let readers = 4
        RealThreads.run(readers + 1) { thread in
            if thread == readers {
                var retired: [Int] = []
                for generation in 2...generations {
                    let old = shared.current.exchange(
                        Block.make(generation: generation), ordering: .sequentiallyConsistent)
                    shared.tracker.synchronize()
                    Block.poison(old)
                    retired.append(old)
                }
                shared.done.store(true, ordering: .releasing)
                retired.forEach(Block.free)
                return
            }
            var count = 0
            repeat {
                guard let section = shared.tracker.enter() else {
                    shared.violations.add(1, ordering: .relaxed)
                    return
                }
                // Sequentially consistent, like the engine's index loads after `enter()`.
                let block = shared.current.load(ordering: .sequentiallyConsistent)
                let first = Block.value(block)
                for _ in 0..<(count & 15) { _ = shared.current.load(ordering: .relaxed) }
                let second = Block.value(block)
                shared.tracker.exit(section)
                if first != second || first == Block.poisoned {
                    shared.violations.add(1, ordering: .relaxed)
                }
                count += 1
            } while !shared.done.load(ordering: .acquiring)
            shared.sections.add(count, ordering: .relaxed)
        }
        Block.free(shared.current.load(ordering: .relaxed))
        #expect(shared.violations.load(ordering: .relaxed) == 0)
        #expect(shared.sections.load(ordering: .relaxed) >= readers)
    }

    /// A section of one tracker holds up that tracker's writers only: a writer of another tracker
    /// on the same thread finishes its grace period (it would wait forever otherwise).
    @Test("a writer waits only for its own tracker's readers", arguments: kinds)
    func writersIgnoreOtherTrackers(expedited: Bool) throws {
        let reading = GracePeriodTracker(expedited: expedited)
        let writing = GracePeriodTracker(expedited: expedited)
        let sectionEntered = reading.enter()
        let section = try #require(sectionEntered)
        writing.synchronize()
        reading.exit(section)
        reading.synchronize()
    }

    /// Sections do not nest: a second `enter()` on the same thread is refused (the engine then
    /// decides under its lock), and the first section is unaffected.
    @Test("a nested read section is refused", arguments: kinds)
    func nestedSectionIsRefused(expedited: Bool) throws {
        let outer = GracePeriodTracker(expedited: expedited)
        let inner = GracePeriodTracker(expedited: expedited)
        let sectionEntered = outer.enter()
        let section = try #require(sectionEntered)
        let nestedInner = inner.enter()
        let nestedOuter = outer.enter()
        #expect(nestedInner == nil)
        #expect(nestedOuter == nil)
        #expect(section.word.pointee.load(ordering: .relaxed) != 0)
        outer.exit(section)
        #expect(section.word.pointee.load(ordering: .relaxed) == 0)
        let againEntered = inner.enter()
        let again = try #require(againEntered)
        inner.exit(again)
    }

    @Test("an engine asked for fenced read sections uses them")
    func fencedEngine() throws {
        let policy = try BucketPolicy(capacity: 10, refill: 1, every: .seconds(1))
        let fenced = try AtomicRateLimiter<Int>(
            policy: policy, maxKeys: 64, clock: ManualClock(), expeditedReaders: false)
        #expect(!fenced.expeditedReaders)
        let automatic = try AtomicRateLimiter<Int>(policy: policy, maxKeys: 64, clock: ManualClock())
        #expect(automatic.expeditedReaders == GracePeriodTracker.membarrierRegistered)
    }
}

/// What the threads of one test share.
private final class Shared: Sendable {
    let tracker: GracePeriodTracker
    /// The address of the block readers may use now.
    let current: Atomic<Int>
    let done = Atomic<Bool>(false)
    let violations = Atomic<Int>(0)
    let sections = Atomic<Int>(0)

    init(expedited: Bool, first: Int) {
        self.tracker = GracePeriodTracker(expedited: expedited)
        self.current = Atomic(first)
    }
}

/// A heap block holding one `Int`, passed between threads as its address.
private enum Block {
    static let poisoned = -1

    static func make(generation: Int) -> Int {
        let pointer = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        pointer.initialize(to: generation)
        return Int(bitPattern: pointer)
    }

    /// A plain (non-atomic) load: under ThreadSanitizer a read racing with `poison` is reported.
    static func value(_ block: Int) -> Int {
        UnsafePointer<Int>(bitPattern: block)!.pointee
    }

    static func poison(_ block: Int) {
        UnsafeMutablePointer<Int>(bitPattern: block)!.pointee = Self.poisoned
    }

    static func free(_ block: Int) {
        UnsafeMutablePointer<Int>(bitPattern: block)!.deallocate()
    }
}
