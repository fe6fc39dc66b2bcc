// Sleeping on a manual clock: a sleeper wakes when an advance reaches its deadline, never by
// itself, so tests of waiting code run without real sleeps.
extension ManualClock {
    struct Sleepers {
        struct Sleeper {
            var id: Int
            var deadline: Int64
            var continuation: CheckedContinuation<Void, any Error>
        }

        var waiting: [Sleeper] = []
        var nextID = 0
    }

    /// Suspends until ``advance(by:)`` moves the clock to `deadline` or past it; returns at once if
    /// it is there already.
    ///
    /// - Throws: `CancellationError` if the task is cancelled first.
    public func sleep(untilNanoseconds deadline: Int64) async throws {
        let id = self.sleepers.withLock(0) { sleepers in
            defer { sleepers.nextID += 1 }
            return sleepers.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // Under the lock that `wakeSleepers` takes after each advance: either this check
                // sees the advance, or that wake-up sees this sleeper. And a cancellation that
                // came before finds no sleeper to resume, but has set the flag read here.
                let resumption: Result<Void, any Error>? = self.sleepers.withLock(0) { sleepers in
                    if self.monotonicNanoseconds() >= deadline { return .success(()) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    sleepers.waiting.append(Sleepers.Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return nil
                }
                if let resumption { continuation.resume(with: resumption) }
            }
        } onCancel: {
            let sleeper = self.sleepers.withLock(0) { sleepers -> Sleepers.Sleeper? in
                guard let position = sleepers.waiting.firstIndex(where: { $0.id == id }) else { return nil }
                return sleepers.waiting.remove(at: position)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// How many tasks are sleeping on this clock: for tests that advance it once every waiter is
    /// asleep.
    public var sleeperCount: Int {
        self.sleepers.withLock(0) { $0.waiting.count }
    }

    /// Resumes every sleeper whose deadline the clock has reached, outside the lock.
    func wakeSleepers() {
        let due = self.sleepers.withLock(0) { sleepers -> [Sleepers.Sleeper] in
            guard !sleepers.waiting.isEmpty else { return [] }
            let now = self.monotonicNanoseconds()
            let due = sleepers.waiting.filter { $0.deadline <= now }
            sleepers.waiting.removeAll { $0.deadline <= now }
            return due
        }
        // In deadline order, then in the order they went to sleep.
        for sleeper in due.sorted(by: { ($0.deadline, $0.id) < ($1.deadline, $1.id) }) {
            sleeper.continuation.resume()
        }
    }
}
