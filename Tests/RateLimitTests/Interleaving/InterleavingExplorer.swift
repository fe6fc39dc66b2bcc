import CRateLimitShims

@testable import RateLimit

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// A deterministic interleaving explorer in the spirit of Lincheck's model checker and Rust's loom,
// sized to this package: every caller runs on its own thread, exactly one thread runs at a time,
// and at each `InterleavingPoint` inside the engine the explorer decides which thread runs next.
// A depth-first search over those decisions, replaying a prefix of choices on a fresh engine
// each time, visits every schedule of a scenario once. Each execution's history — invocations,
// responses and the table events the engine reports — must be linearizable against the
// sequential model (`SequentialModel`).
//
// What it does not check: schedules are interleavings of whole steps between points, each step
// sequentially consistent, so an ordering too weak for the hardware is not caught here (the
// orderings are argued in comments and exercised by ThreadSanitizer and the real-thread suites).
// And its threads share one CPU, so every reader counts in the same grace-period stripe.

/// One decision of the search: which threads could run, and the position of the one that did.
struct Choice {
    var enabled: [Int]
    var chosen: Int
}

/// The explorer: worker threads, the scheduler they share, and the depth-first search.
final class InterleavingExplorer: @unchecked Sendable {
    // @unchecked: every mutable field is read and written only by the thread holding the token
    // (`running`), and the token passes under `mutex`, which orders everything before it.

    enum Status {
        /// Has not started its first operation.
        case ready
        /// Paused at a point.
        case paused(InterleavingPoint)
        /// Waiting at a point until `ready()` holds.
        case blocked(InterleavingPoint, () -> Bool)
        /// Done with every operation.
        case finished
    }

    static let main = -1

    /// The points between a reader's grace-period counter operations. Those operations conflict
    /// only with a writer's grace period (its phase store and counter loads): where no grace period
    /// runs, choosing at these points only repeats schedules.
    static let readSectionPoints: Set<InterleavingPoint> = [.readerPhaseLoaded, .readerCounted]

    let threadCount: Int
    let cpu: Int32?
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let conditions: UnsafeMutablePointer<pthread_cond_t>
    private var running = InterleavingExplorer.main
    private var workers: [pthread_t] = []
    private var shuttingDown = false

    // The current execution.
    private var work: (@Sendable (Int) -> Void)?
    private var status: [Status]
    private(set) var history = History()
    private var sequence = 0
    /// Each thread's latest reservation, for its `.cancel` operations.
    private var latestReservation: [Int: RateLimitReservation<ProbeKey>] = [:]
    private var currentOperation: [Operation?]
    private var prefix: [Int] = []
    private var expectedEnabled: [[Int]] = []
    private(set) var trace: [Choice] = []
    private(set) var log: [String] = []
    private(set) var failure: String?
    private var readSections = ReadSections()

    /// The reading of the operation the calling thread is running (the engine's clock).
    let recorder: Recorder

    /// Creates the workers, each pinned to `cpu` when given: threads that take turns on one CPU
    /// hand over without waking another CPU, several times faster on a virtual machine.
    init(threads: Int, cpu: Int32?) {
        self.threadCount = threads
        self.cpu = cpu
        self.status = Array(repeating: .finished, count: threads)
        self.currentOperation = Array(repeating: nil, count: threads)
        pthread_mutex_init(self.mutex, nil)
        self.conditions = .allocate(capacity: threads + 1)
        for index in 0...threads {
            pthread_cond_init(self.conditions + index, nil)
        }
        self.recorder = Recorder()
        self.recorder.explorer = self
        for index in 0..<threads {
            let context = Unmanaged.passRetained(WorkerContext(explorer: self, index: index)).toOpaque()
            var thread = pthread_t()
            let created = pthread_create(
                &thread, nil,
                { raw in
                    let context = Unmanaged<WorkerContext>.fromOpaque(raw!).takeRetainedValue()
                    context.explorer.workerLoop(context.index)
                    return nil
                }, context)
            precondition(created == 0, "pthread_create failed: \(created)")
            self.workers.append(thread)
        }
    }

    /// Stops the workers; call once, when done exploring.
    func shutDown() {
        pthread_mutex_lock(self.mutex)
        self.shuttingDown = true
        for index in 0...self.threadCount {
            pthread_cond_signal(self.conditions + index)
        }
        pthread_mutex_unlock(self.mutex)
        for thread in self.workers {
            pthread_join(thread, nil)
        }
    }

    private final class WorkerContext {
        let explorer: InterleavingExplorer
        let index: Int
        init(explorer: InterleavingExplorer, index: Int) {
            self.explorer = explorer
            self.index = index
        }
    }

    // MARK: Token passing

    /// Waits, with `mutex` held, until `me` holds the token (or shutdown).
    private func waitForToken(_ me: Int) {
        while self.running != me && !self.shuttingDown {
            pthread_cond_wait(self.conditions + (me + 1), self.mutex)
        }
    }

    /// Passes the token from `me` to `next` and waits for it to come back.
    private func handOff(from me: Int, to next: Int) {
        pthread_mutex_lock(self.mutex)
        self.running = next
        pthread_cond_signal(self.conditions + (next + 1))
        self.waitForToken(me)
        pthread_mutex_unlock(self.mutex)
    }

    private func workerLoop(_ index: Int) {
        if let cpu = self.cpu { _ = crl_pin_current_thread(cpu) }
        Interleaving.install(WorkerController(explorer: self, index: index))
        while true {
            pthread_mutex_lock(self.mutex)
            self.waitForToken(index)
            let done = self.shuttingDown
            pthread_mutex_unlock(self.mutex)
            if done { break }
            self.work?(index)
            self.status[index] = .finished
            self.schedule(from: index)
        }
        Interleaving.install(nil)
    }

    // MARK: Scheduling (token holder only)

    private func isEnabled(_ thread: Int) -> Bool {
        switch self.status[thread] {
        case .ready, .paused: true
        case .blocked(_, let ready): ready()
        case .finished: false
        }
    }

    /// Chooses the next thread to run after `me` reached a point, and runs it. Returns when `me`
    /// holds the token again.
    private func schedule(from me: Int) {
        // A thread that has not started runs to its first point before any choice is made: up to
        // there it only hashes its key and reads its scripted clock, which commutes with anything
        // another thread does, so choosing when it starts would only repeat schedules.
        if let unstarted = (0..<self.threadCount).first(where: {
            if case .ready = self.status[$0] { return true } else { return false }
        }) {
            self.log.append("\(Self.name(unstarted))@start")
            if unstarted != me { self.handOff(from: me, to: unstarted) }
            return
        }
        var enabled: [Int] = []
        if me >= 0 && self.isEnabled(me) { enabled.append(me) }
        for thread in 0..<self.threadCount where thread != me && self.isEnabled(thread) {
            enabled.append(thread)
        }
        let next: Int
        if enabled.isEmpty {
            let unfinished = (0..<self.threadCount).filter {
                if case .finished = self.status[$0] { return false }
                return true
            }
            if !unfinished.isEmpty {
                self.fail(
                    "deadlock: threads \(unfinished) are all blocked (\(unfinished.map { "\(self.status[$0])" }))")
                // Leave the blocked workers parked: the exploration is over.
            }
            next = Self.main
        } else {
            let depth = self.trace.count
            var position = 0
            if depth < self.prefix.count {
                position = self.prefix[depth]
                if enabled != self.expectedEnabled[depth] {
                    self.fail(
                        "nondeterminism at depth \(depth): enabled \(enabled), previously \(self.expectedEnabled[depth])"
                    )
                    position = 0
                }
            }
            self.trace.append(Choice(enabled: enabled, chosen: position))
            next = enabled[min(position, enabled.count - 1)]
            if case .paused(let point) = self.status[next] {
                self.log.append("\(Self.name(next))@\(point.rawValue)")
            } else if case .blocked(let point, _) = self.status[next] {
                self.log.append("\(Self.name(next))@\(point.rawValue)(retry)")
            }
        }
        if next == me { return }
        self.handOff(from: me, to: next)
    }

    static func name(_ thread: Int) -> String {
        thread == main ? "main" : String(UnicodeScalar(UInt8(65 + thread)))
    }

    /// Points at which no choice is made in the current scenario (see `InterleavingScenario`).
    var inertPoints: Set<InterleavingPoint> = []

    fileprivate func pause(_ thread: Int, at point: InterleavingPoint) {
        if self.inertPoints.contains(point) { return }
        self.status[thread] = .paused(point)
        self.schedule(from: thread)
    }

    fileprivate func block(_ thread: Int, at point: InterleavingPoint, until ready: () -> Bool) {
        withoutActuallyEscaping(ready) { ready in
            self.status[thread] = .blocked(point, ready)
            self.schedule(from: thread)
            self.status[thread] = .paused(point)
        }
    }

    fileprivate func record(_ thread: Int, _ event: InterleavingEvent) {
        switch event {
        case .readSection(let entered):
            self.readSections.enter(thread, entered)
            return
        case .gracePeriod(let started):
            if started && !self.inertPoints.isDisjoint(with: InterleavingExplorer.readSectionPoints) {
                self.fail("a grace period ran in a scenario that declared the read-section counter points inert")
            }
            if let violation = self.readSections.gracePeriod(thread, started) { self.fail(violation) }
            return
        case .expired, .evicted, .rebased:
            break
        }
        let operation = thread == Self.main ? self.recorder.operation : self.currentOperation[thread]
        guard let operation else {
            self.fail("event \(event) outside any operation")
            return
        }
        self.sequence += 1
        self.history.entries.append(.event(event, during: operation, at: self.sequence))
    }

    fileprivate func reading(_ thread: Int) -> Int64 {
        if thread == Self.main { return self.recorder.operation?.reading ?? self.recorder.reading }
        return self.currentOperation[thread]?.reading ?? 0
    }

    private func fail(_ message: String) {
        if self.failure == nil { self.failure = message }
    }

    /// Runs `operation` on the calling thread (`thread`) and records it.
    func perform(_ operation: Operation, thread: Int, on limiter: some RateLimiter<ProbeKey>, key: ProbeKey) {
        if thread == Self.main {
            self.recorder.operation = operation
        } else {
            self.currentOperation[thread] = operation
        }
        self.sequence += 1
        let invoked = self.sequence
        let result: OperationResult
        switch operation.kind {
        case .acquire:
            result = .decided(limiter.acquire(key, cost: operation.cost))
        case .reserve(let maxWait):
            guard let reserving = limiter as? any ReservingRateLimiter<ProbeKey> else {
                preconditionFailure("a reservation scenario on an engine that does not reserve")
            }
            switch reserving.schedule(key, cost: operation.cost, maxWait: .nanoseconds(maxWait)) {
            case .reserved(let reservation):
                self.latestReservation[thread] = reservation
                result = .reserved(waitNanoseconds: reservation.delayNanoseconds, reservation.decision)
            case .wouldWait(let wait): result = .refused(waitNanoseconds: wait)
            case .exceedsCapacity(let decision): result = .exceedsCapacity(decision)
            }
        case .cancel:
            result = .cancelled(self.latestReservation.removeValue(forKey: thread)?.cancel() ?? false)
        }
        self.sequence += 1
        self.history.entries.append(
            .operation(thread: thread, operation: operation, result: result, invoked: invoked, responded: self.sequence)
        )
        if thread == Self.main {
            self.recorder.operation = nil
        } else {
            self.currentOperation[thread] = nil
        }
    }

    // MARK: Executions and the search

    /// Runs one execution: makes an engine and runs `setUp` on the calling thread, `work(thread)`
    /// on each worker under the scheduler with choices replayed from the prefix, then `tearDown`
    /// on the calling thread.
    func execute(
        start: Int64,
        making make: () throws -> any BoundedRateLimiter<ProbeKey>,
        setUp: (any BoundedRateLimiter<ProbeKey>) -> Void,
        work: @escaping @Sendable (any BoundedRateLimiter<ProbeKey>, Int) -> Void,
        tearDown: (any BoundedRateLimiter<ProbeKey>) -> Void
    ) rethrows {
        self.history = History()
        self.latestReservation = [:]
        self.sequence = 0
        self.trace = []
        self.log = []
        self.failure = nil
        self.readSections = ReadSections()
        self.recorder.reading = start
        Interleaving.install(self.recorder)
        defer { Interleaving.install(nil) }
        let limiter = try make()
        setUp(limiter)
        self.work = { thread in work(limiter, thread) }
        self.status = Array(repeating: .ready, count: self.threadCount)
        self.schedule(from: Self.main)
        self.work = nil
        tearDown(limiter)
    }

    /// Sets up the next execution of a depth-first search; `false` when every schedule has run.
    func advance() -> Bool {
        var depth = self.trace.count - 1
        while depth >= 0 && self.trace[depth].chosen + 1 >= self.trace[depth].enabled.count {
            depth -= 1
        }
        guard depth >= 0 else { return false }
        self.prefix = self.trace[0..<depth].map(\.chosen) + [self.trace[depth].chosen + 1]
        self.expectedEnabled = self.trace[0...depth].map(\.enabled)
        return true
    }
}

/// The controller of a worker thread: every hook goes to the scheduler.
private final class WorkerController: InterleavingController {
    unowned let explorer: InterleavingExplorer
    let index: Int

    init(explorer: InterleavingExplorer, index: Int) {
        self.explorer = explorer
        self.index = index
    }

    func reach(_ point: InterleavingPoint) { self.explorer.pause(self.index, at: point) }
    func block(_ point: InterleavingPoint, until ready: () -> Bool) {
        self.explorer.block(self.index, at: point, until: ready)
    }
    func record(_ event: InterleavingEvent) { self.explorer.record(self.index, event) }
    var reading: Int64 { self.explorer.reading(self.index) }
}

/// The controller of the exploring thread while it sets up and checks: it records events but
/// never pauses (no other thread runs then).
final class Recorder: InterleavingController {
    weak var explorer: InterleavingExplorer?
    var operation: Operation?
    /// The reading outside any operation (at the engine's creation).
    var reading: Int64 = 0

    func reach(_ point: InterleavingPoint) {}
    func block(_ point: InterleavingPoint, until ready: () -> Bool) {
        precondition(ready(), "the exploring thread blocked at \(point) with no other thread running")
    }
    func record(_ event: InterleavingEvent) { self.explorer?.record(InterleavingExplorer.main, event) }
}

/// The engine's clock under the explorer: each thread reads the reading of the operation it runs.
struct ExplorerClock: RateLimitClock {
    func monotonicNanoseconds() -> Int64 {
        switch Interleaving.controller() {
        case let worker as WorkerController: worker.reading
        case let recorder as Recorder: recorder.operation?.reading ?? recorder.reading
        default: preconditionFailure("the explorer's clock was read by a thread the explorer does not control")
        }
    }
}
