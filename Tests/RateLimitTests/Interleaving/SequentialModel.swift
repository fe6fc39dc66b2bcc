@testable import RateLimit

/// The sequential specification an interleaving is checked against: a table of buckets, each the
/// absolute tick at which it is full, applied one operation at a time.
///
/// It follows the documented contract, not the engines' data structures: a reading older than the
/// table's epoch counts as the epoch; a tracked key is decided from its stored time (a stale
/// reading only adds debt); an absent key is a bucket that was full at the drop floor; a drop
/// removes a bucket that is full at the dropping operation's reading and raises the floor to that
/// reading; an eviction removes a bucket whatever it owes and raises the floor to that reading and
/// to one window before the bucket would have been full; a rebase moves the epoch. Times are
/// absolute and 128-bit, so the model has no epochs to shift. The token arithmetic itself is `BucketArithmetic`, checked separately against `ReferenceBucket` by the
/// conformance suite: this model checks the concurrency, not the arithmetic.
///
/// Reservations follow the contract of ``ReservingRateLimiter``: a reservation applies
/// `BucketArithmetic.reserve`; a cancellation restores the state before its thread's latest
/// reservation exactly when the bucket is still in the state that reservation left, its time to
/// act has not come, and its partition has neither evicted a bucket nor rebased since.
struct SequentialModel: Hashable {
    struct Partition: Hashable {
        var epoch: Int64
        /// Absolute ticks; every absent key of the partition is full from here on.
        var floor: Int128
        var stored: [Int: Int128] = [:]
        /// Buckets evicted while owing tokens.
        var evictions = 0
    }

    /// A thread's latest reservation, in absolute ticks.
    struct Reservation: Hashable {
        var key: Int
        var partition: Int
        var before: Int128
        var after: Int128
        var ready: Int128
        var epoch: Int64
        var evictions: Int
    }

    let arithmetic: BucketArithmetic
    let partitionCount: Int
    var partitions: [Partition]
    var reservations: [Int: Reservation] = [:]

    init(policy: BucketPolicy, epoch: Int64, partitions: Int) {
        self.arithmetic = policy.arithmetic
        self.partitionCount = partitions
        let ticks = Int128(epoch) * Int128(policy.arithmetic.ticksPerNanosecond)
        self.partitions = Array(repeating: Partition(epoch: epoch, floor: ticks), count: partitions)
    }

    private func ticks(_ reading: Int64, in partition: Int) -> Int128 {
        Int128(max(reading, self.partitions[partition].epoch)) * Int128(self.arithmetic.ticksPerNanosecond)
    }

    /// The result of `thread`'s `operation` on its key (in `partition`), applied to the model.
    mutating func apply(_ operation: Operation, thread: Int, partition: Int) -> OperationResult {
        let now = self.ticks(operation.reading, in: partition)
        let epochTicks = Int128(self.partitions[partition].epoch) * Int128(self.arithmetic.ticksPerNanosecond)
        let stored =
            self.partitions[partition].stored[operation.key] ?? max(self.partitions[partition].floor, epochTicks)
        let debt = max(0, stored - now)
        switch operation.kind {
        case .acquire:
            let outcome = self.arithmetic.decide(debt: Int64(debt), cost: operation.cost)
            if let newDebt = outcome.newDebt {
                self.partitions[partition].stored[operation.key] = now + Int128(newDebt)
            }
            return .decided(outcome.decision)
        case .reserve(let maxWait):
            switch self.arithmetic.reserve(debt: Int64(debt), cost: operation.cost, maxWaitNanoseconds: maxWait) {
            case .reserved(let decision, let wait, let newDebt):
                if let newDebt {
                    self.partitions[partition].stored[operation.key] = now + Int128(newDebt)
                }
                self.reservations[thread] = Reservation(
                    key: operation.key, partition: partition, before: stored,
                    after: newDebt.map { now + Int128($0) } ?? stored,
                    ready: now + Int128(wait) * Int128(self.arithmetic.ticksPerNanosecond),
                    epoch: self.partitions[partition].epoch, evictions: self.partitions[partition].evictions)
                return .reserved(waitNanoseconds: wait, decision)
            case .tooLate(let wait):
                return .refused(waitNanoseconds: wait)
            case .exceedsCapacity(let decision):
                return .exceedsCapacity(decision)
            }
        case .cancel:
            guard let reservation = self.reservations.removeValue(forKey: thread) else { return .cancelled(false) }
            let home = self.partitions[reservation.partition]
            guard home.epoch == reservation.epoch, home.evictions == reservation.evictions,
                home.stored[reservation.key] == reservation.after, reservation.after != reservation.before,
                self.ticks(operation.reading, in: reservation.partition) < reservation.ready
            else { return .cancelled(false) }
            self.partitions[reservation.partition].stored[reservation.key] = reservation.before
            return .cancelled(true)
        }
    }

    /// Applies a table event reported while `operation` ran; `false` when the contract forbids it.
    mutating func apply(_ event: InterleavingEvent, during operation: Operation, key: Int?, partition: Int) -> Bool {
        let now = self.ticks(operation.reading, in: partition)
        switch event {
        case .expired:
            guard let key, let stored = self.partitions[partition].stored[key], stored <= now else { return false }
            self.partitions[partition].stored[key] = nil
            self.partitions[partition].floor = max(self.partitions[partition].floor, now)
        case .evicted:
            guard let key, let stored = self.partitions[partition].stored[key] else { return false }
            self.partitions[partition].stored[key] = nil
            self.partitions[partition].evictions += 1
            // Forgives at most one window, even with a stale reading.
            self.partitions[partition].floor = max(
                self.partitions[partition].floor, now, stored - Int128(self.arithmetic.windowTicks))
        case .rebased:
            self.partitions[partition].epoch = max(self.partitions[partition].epoch, operation.reading)
        case .readSection, .gracePeriod:
            break // checked by the explorer itself, never part of a history
        }
        return true
    }

    var trackedKeys: Int {
        self.partitions.reduce(0) { $0 + $1.stored.count }
    }
}

/// Checks that a history is linearizable: some total order of its operations and events,
/// consistent with real time (an item that ended before another began comes first), gives every
/// decision the model gives. A depth-first search over the items that may come next (the
/// Wing–Gong algorithm); histories here hold a few dozen items at most.
struct LinearizabilityChecker {
    struct Item {
        var invoked: Int
        var responded: Int
        var entry: History.Entry
    }

    let partitionOf: (Int) -> Int
    let keyOf: (AnyHashable) -> Int?

    /// A linearization's final model, or `nil` when there is none.
    func check(_ history: History, initial: SequentialModel) -> SequentialModel? {
        let items = history.entries.map { entry -> Item in
            switch entry {
            case .operation(_, _, _, let invoked, let responded):
                Item(invoked: invoked, responded: responded, entry: entry)
            case .event(_, _, let at): Item(invoked: at, responded: at, entry: entry)
            }
        }
        var remaining = Array(items.indices)
        return self.search(items, &remaining, initial)
    }

    private func search(_ items: [Item], _ remaining: inout [Int], _ model: SequentialModel) -> SequentialModel? {
        if remaining.isEmpty { return model }
        let earliestResponse = remaining.map { items[$0].responded }.min()!
        for (position, index) in remaining.enumerated() where items[index].invoked <= earliestResponse {
            var next = model
            guard self.apply(items[index].entry, to: &next) else { continue }
            remaining.remove(at: position)
            defer { remaining.insert(index, at: position) }
            if let result = self.search(items, &remaining, next) { return result }
        }
        return nil
    }

    private func apply(_ entry: History.Entry, to model: inout SequentialModel) -> Bool {
        switch entry {
        case .operation(let thread, let operation, let result, _, _):
            return model.apply(operation, thread: thread, partition: self.partitionOf(operation.key)) == result
        case .event(let event, let operation, _):
            var key: Int?
            switch event {
            case .expired(let raw), .evicted(let raw): key = self.keyOf(raw)
            case .rebased, .readSection, .gracePeriod: key = nil
            }
            let partition = self.partitionOf(key ?? operation.key)
            return model.apply(event, during: operation, key: key, partition: partition)
        }
    }
}
