@testable import RateLimit

private let ms: Int64 = 1_000_000
private let s: Int64 = 1_000_000_000

// MARK: - Witnesses

extension History {
    /// The sequence numbers of `thread`'s operations.
    func intervals(of thread: Int) -> [(invoked: Int, responded: Int, result: OperationResult)] {
        self.entries.compactMap { entry in
            if case .operation(let owner, _, let result, let invoked, let responded) = entry, owner == thread {
                return (invoked, responded, result)
            }
            return nil
        }
    }

    /// Whether an event matching `matches` happened while one of `thread`'s operations ran.
    func event(during thread: Int, _ matches: (InterleavingEvent) -> Bool) -> Bool {
        let intervals = self.intervals(of: thread)
        return self.entries.contains { entry in
            guard case .event(let event, _, let at) = entry, matches(event) else { return false }
            return intervals.contains { $0.invoked < at && at < $0.responded }
        }
    }
}

private func isExpired(_ key: Int) -> (InterleavingEvent) -> Bool {
    { event in
        if case .expired(let raw) = event { return (raw.base as? ProbeKey)?.id == key }
        return false
    }
}

private func isEvicted(_ key: Int) -> (InterleavingEvent) -> Bool {
    { event in
        if case .evicted(let raw) = event { return (raw.base as? ProbeKey)?.id == key }
        return false
    }
}

private func isRebase(_ event: InterleavingEvent) -> Bool { event == .rebased }

// MARK: - Scenarios

extension InterleavingScenario {
    private static func tutorial(_ mode: RefillMode) -> BucketPolicy {
        try! BucketPolicy(capacity: 10, refill: 2, every: .seconds(1), mode: mode)
    }

    /// The report's race: A read 12.5 s, then B, with a 15 s reading, drops A's key (full at 15 s)
    /// to make room; A then finds the key absent.
    static func staleReaderMeetsDrop(_ engine: RateLimitEngine, _ mode: RefillMode, shards: Int = 1) -> Self {
        InterleavingScenario(
            name: "stale reader meets a drop (\(mode))",
            engine: engine,
            shards: shards,
            policy: self.tutorial(mode),
            maxKeys: 2,
            start: 10 * s,
            setUp: [Operation(key: 1, cost: 10, at: 10 * s), Operation(key: 3, cost: 1, at: 10 * s)],
            callers: [
                [Operation(key: 1, cost: 5, at: 12_500 * ms), Operation(key: 3, cost: 1, at: 12_500 * ms)],
                [Operation(key: 2, cost: 1, at: 15 * s), Operation(key: 1, cost: 4, at: 15 * s)],
            ],
            tearDown: [
                Operation(key: 1, cost: 0, at: 15 * s), Operation(key: 1, cost: 10, at: 15 * s),
                Operation(key: 1, cost: 5, at: 15 * s),
            ],
            graceFree: true,
            witness: { history, _ in history.event(during: 0, isExpired(1)) }
        )
    }

    /// The report's race in one shard of two: keys 1, 2 and 3 share shard 0, key 4 lives in
    /// shard 1 (`home` 0x100 | 4, see `ProbeKey`) with its own floor. The tear-down reads key 4 at
    /// 12.5 s, older than shard 0's drop but not shard 1's.
    static func staleReaderMeetsDropInOneShard(_ mode: RefillMode) -> Self {
        let shards = 2
        var scenario = Self.staleReaderMeetsDrop(.sharded, mode, shards: shards)
        scenario.name = "stale reader meets a drop in one shard of two (\(mode))"
        scenario.maxKeys = 4
        scenario.homes = [4: 0x100 | 4]
        scenario.setUp.append(Operation(key: 4, cost: 10, at: 10 * s))
        scenario.tearDown.append(Operation(key: 4, cost: 0, at: 12_500 * ms))
        return scenario
    }

    /// A reader takes a token from the very bucket a writer is evicting: either the reader's
    /// compare-and-swap wins and the writer ranks again, or the writer's wins and the reader
    /// retries under the lock.
    static func readerRacesEviction(_ engine: RateLimitEngine) -> Self {
        InterleavingScenario(
            name: "reader races the eviction of its bucket",
            engine: engine,
            policy: self.tutorial(.smooth),
            maxKeys: 2,
            start: 10 * s,
            setUp: [Operation(key: 1, cost: 3, at: 10 * s), Operation(key: 3, cost: 5, at: 10 * s)],
            callers: [
                [Operation(key: 1, cost: 1, at: 10 * s), Operation(key: 1, cost: 1, at: 10 * s)],
                [Operation(key: 2, cost: 1, at: 10 * s)],
            ],
            tearDown: [1, 2, 3].map { Operation(key: $0, cost: 0, at: 10 * s) },
            graceFree: true,
            witness: { history, _ in history.event(during: 0, isEvicted(1)) }
        )
    }

    /// Keys 1 and 3 share a home slot; B drops key 1 and shifts key 3 back into its slot while A
    /// probes for key 3.
    static func backwardShiftHidesKey(_ engine: RateLimitEngine) -> Self {
        InterleavingScenario(
            name: "backward shift moves the key a reader probes for",
            engine: engine,
            policy: self.tutorial(.smooth),
            maxKeys: 2,
            start: 10 * s,
            homes: [1: 7, 3: 7],
            setUp: [Operation(key: 1, cost: 1, at: 10 * s), Operation(key: 3, cost: 4, at: 10 * s)],
            callers: [[Operation(key: 3, cost: 1, at: 11 * s)], [Operation(key: 2, cost: 1, at: 11 * s)]],
            tearDown: [1, 2, 3].map { Operation(key: $0, cost: 0, at: 11 * s) },
            graceFree: true,
            witness: { _, log in
                // A probed (or retried) between the copy and the clear of the shift.
                guard let copied = log.firstIndex(of: "B@shiftCopied") else { return false }
                return log[..<copied].contains { $0.hasPrefix("A@") } && log[copied...].contains("A@probed")
                    || log.contains("A@lock")
            }
        )
    }

    /// B's insert grows the index and waits for the grace period while A is inside a read
    /// section on the old index.
    static func growWhileReading(_ engine: RateLimitEngine) -> Self {
        InterleavingScenario(
            name: "index grows while a reader probes the old one",
            engine: engine,
            policy: self.tutorial(.smooth),
            maxKeys: 64,
            start: 10 * s,
            setUp: (1...12).map { Operation(key: $0, cost: 1, at: 10 * s) },
            callers: [[Operation(key: 1, cost: 1, at: 10 * s)], [Operation(key: 13, cost: 1, at: 10 * s)]],
            tearDown: [1, 13].map { Operation(key: $0, cost: 0, at: 10 * s) },
            witness: { _, log in log.contains("B@graceWait(retry)") }
        )
    }

    /// B's request finds the epoch due and rebases — shutting the lock-free path, waiting for
    /// readers, dropping full buckets, shifting the rest — while A takes tokens from a bucket that
    /// survives the rebase, with a reading from before it.
    static func rebaseWhileDeciding(_ engine: RateLimitEngine) -> Self {
        InterleavingScenario(
            name: "rebase while a reader decides",
            engine: engine,
            policy: self.finePolicy,
            maxKeys: 16,
            start: 0,
            setUp: [Operation(key: 1, cost: 1 << 31, at: 1000 * ms), Operation(key: 3, cost: 1, at: 600 * ms)],
            callers: [[Operation(key: 1, cost: 1 << 27, at: 1050 * ms)], [Operation(key: 2, cost: 1, at: 1200 * ms)]],
            tearDown: [1, 2, 3].map { Operation(key: $0, cost: 0, at: 1200 * ms) },
            witness: { history, _ in history.event(during: 0, isRebase) }
        )
    }

    /// B's one request rebases (a grace period with the lock-free path shut) and then grows the
    /// index (a second grace period, of the other phase parity) while A decides on the lock-free
    /// path: a reader that counted itself in a phase already drained would be missed by the
    /// second.
    static func twoGracePeriods(_ engine: RateLimitEngine) -> Self {
        InterleavingScenario(
            name: "rebase then growth around a reader",
            engine: engine,
            policy: self.finePolicy,
            maxKeys: 64,
            start: 0,
            // Twelve buckets that survive the rebase at 1.2 s (full at 1.5 s): B's key is the 13th.
            setUp: (1...12).map { Operation(key: $0, cost: 1 << 31, at: 1000 * ms) },
            callers: [[Operation(key: 1, cost: 1 << 20, at: 1050 * ms)], [Operation(key: 13, cost: 1, at: 1200 * ms)]],
            tearDown: [1, 13].map { Operation(key: $0, cost: 0, at: 1200 * ms) },
            witness: { _, log in log.filter { $0 == "B@phaseAdvanced" }.count >= 2 }
        )
    }

    /// The scenario with every decision through a handle kept per key: a stale hint meets the
    /// same eviction, shift or growth.
    func throughHandles() -> Self {
        var scenario = self
        scenario.decidesThroughHandles = true
        return scenario
    }

    func markedHeavy() -> Self {
        var scenario = self
        scenario.heavy = true
        return scenario
    }

    /// M = 2³² ticks per ns: the epoch must move every 2³⁰ ns ≈ 1.07 s. Capacity 2³¹: half a
    /// second of refill.
    private static var finePolicy: BucketPolicy {
        try! BucketPolicy(capacity: 1 << 31, refill: 1 << 32, every: .nanoseconds(1_000_000_001))
    }

    /// Two callers create and update one key: both may find it absent and queue for the lock.
    static func twoCallersOneKey(_ engine: RateLimitEngine, shards: Int = 1) -> Self {
        InterleavingScenario(
            name: "two callers create and drain one key",
            engine: engine,
            shards: shards,
            policy: self.tutorial(.smooth),
            maxKeys: 16,
            start: 10 * s,
            setUp: [],
            callers: [
                [Operation(key: 1, cost: 4, at: 10 * s), Operation(key: 1, cost: 4, at: 10 * s)],
                [Operation(key: 1, cost: 3, at: 10 * s)],
            ],
            tearDown: [Operation(key: 1, cost: 0, at: 10 * s)],
            graceFree: true,
            witness: { _, log in log.contains("A@lock") && log.contains("B@lock") }
        )
    }

    /// A stale and a fresh reading race on one tracked key's compare-and-swap.
    static func staleAndFreshOnOneKey(_ engine: RateLimitEngine, _ mode: RefillMode) -> Self {
        InterleavingScenario(
            name: "stale and fresh readings race on one key (\(mode))",
            engine: engine,
            policy: self.tutorial(mode),
            maxKeys: 16,
            start: 10 * s,
            setUp: [Operation(key: 1, cost: 9, at: 10 * s)],
            callers: [
                [Operation(key: 1, cost: 2, at: 12 * s)],
                [Operation(key: 1, cost: 1, at: 10 * s), Operation(key: 1, cost: 1, at: 10 * s)],
            ],
            tearDown: [Operation(key: 1, cost: 0, at: 12 * s)],
            graceFree: true,
            witness: { _, log in log.filter { $0.hasSuffix("@beforeCompareExchange") }.count >= 2 }
        )
    }

    /// Two writers insert at once into a full table: one drops the full buckets, the other finds
    /// room or drops what is left; a stale peek of a dropped key must see the floor.
    static func twoWritersFullTable(_ engine: RateLimitEngine, shards: Int = 1) -> Self {
        InterleavingScenario(
            name: "two writers insert into a full table",
            engine: engine,
            shards: shards,
            policy: self.tutorial(.smooth),
            maxKeys: 2,
            start: 10 * s,
            setUp: [Operation(key: 1, cost: 10, at: 10 * s), Operation(key: 3, cost: 2, at: 10 * s)],
            callers: [
                [Operation(key: 4, cost: 1, at: 15 * s)],
                [Operation(key: 2, cost: 1, at: 15 * s), Operation(key: 1, cost: 0, at: 12 * s)],
            ],
            tearDown: [1, 2, 3, 4].map { Operation(key: $0, cost: 0, at: 15 * s) },
            graceFree: true,
            witness: { _, log in log.contains("A@lock") && log.contains("B@lock") }
        )
    }

    /// A reservation (under the atomic engine's writer lock, or a shard's lock) and a lock-free
    /// acquisition race on one bucket; then the reservation is cancelled, which must fail exactly
    /// when the acquisition changed the bucket in between.
    static func reservationRacesAcquisition(_ engine: RateLimitEngine) -> Self {
        InterleavingScenario(
            name: "a reservation and its cancellation race an acquisition",
            engine: engine,
            policy: self.tutorial(.smooth),
            maxKeys: 16,
            start: 10 * s,
            // Empty at 10 s: one token per 500 ms from then on.
            setUp: [Operation(key: 1, cost: 10, at: 10 * s)],
            callers: [
                [
                    Operation(key: 1, cost: 1, at: 10 * s, .reserve(maxWait: s)),
                    Operation(key: 1, at: 10_200 * ms, .cancel),
                ],
                [Operation(key: 1, cost: 1, at: 11 * s)],
            ],
            tearDown: [
                Operation(key: 1, cost: 0, at: 11 * s),
                Operation(key: 1, cost: 1, at: 12 * s, .reserve(maxWait: 10 * s)),
            ],
            graceFree: true,
            witness: { history, _ in
                // The acquisition came between: the cancellation must have failed.
                history.intervals(of: 0).contains { $0.result == .cancelled(false) }
                    && history.intervals(of: 0).contains { $0.result == .cancelled(true) } == false
            }
        )
    }

    /// A reservation, then an eviction of its bucket by another caller, then its cancellation: the
    /// cancellation must fail once the bucket it changed is gone, even when the key is back in the
    /// very state the reservation left. B's second operation recreates it so: the eviction moved
    /// the floor to 10.5 s, and 10 tokens reserved from there end at 15.5 s, as A's did.
    static func reservationRacesEviction(_ engine: RateLimitEngine) -> Self {
        InterleavingScenario(
            name: "a reservation's bucket is evicted before it is cancelled",
            engine: engine,
            policy: self.tutorial(.smooth),
            maxKeys: 1,
            start: 10 * s,
            setUp: [Operation(key: 1, cost: 10, at: 10 * s)],
            callers: [
                [
                    Operation(key: 1, cost: 1, at: 10 * s, .reserve(maxWait: s)),
                    Operation(key: 1, at: 10 * s, .cancel),
                ],
                [
                    Operation(key: 2, cost: 1, at: 10 * s),
                    Operation(key: 1, cost: 10, at: 10 * s, .reserve(maxWait: s)),
                ],
            ],
            tearDown: [Operation(key: 1, cost: 0, at: 10 * s), Operation(key: 2, cost: 0, at: 10 * s)],
            graceFree: true,
            witness: { history, _ in
                // The eviction fell after the reservation (which waits) and before its cancellation
                // took effect.
                let calls = history.intervals(of: 0)
                guard calls.count == 2, case .reserved(let wait, _) = calls[0].result, wait > 0 else { return false }
                return history.entries.contains { entry in
                    guard case .event(let event, _, let at) = entry, isEvicted(1)(event) else { return false }
                    return calls[0].responded < at && at < calls[1].responded
                }
            }
        )
    }

    /// Every scenario, on the engines it concerns: the lock-free engine everywhere, the locked
    /// engines where their one interleaving point (between the clock read and the lock) matters.
    static let all: [InterleavingScenario] = [
        .staleReaderMeetsDrop(.atomic, .smooth).markedHeavy(),
        .staleReaderMeetsDrop(.atomic, .stepped).markedHeavy(),
        .staleReaderMeetsDrop(.mutex, .smooth),
        .staleReaderMeetsDropInOneShard(.stepped),
        .readerRacesEviction(.atomic),
        .backwardShiftHidesKey(.atomic),
        .growWhileReading(.atomic).markedHeavy(),
        .rebaseWhileDeciding(.atomic).markedHeavy(),
        .rebaseWhileDeciding(.mutex),
        .twoGracePeriods(.atomic).markedHeavy(),
        .twoCallersOneKey(.atomic),
        .twoCallersOneKey(.sharded, shards: 2),
        .staleAndFreshOnOneKey(.atomic, .smooth),
        .staleAndFreshOnOneKey(.atomic, .stepped),
        .twoWritersFullTable(.atomic),
        .twoWritersFullTable(.mutex),
        .readerRacesEviction(.atomic).throughHandles(),
        .backwardShiftHidesKey(.atomic).throughHandles(),
        .growWhileReading(.atomic).throughHandles().markedHeavy(),
        .staleReaderMeetsDrop(.mutex, .smooth).throughHandles(),
        .reservationRacesAcquisition(.atomic),
        .reservationRacesAcquisition(.mutex),
        .reservationRacesAcquisition(.sharded),
        .reservationRacesEviction(.atomic).markedHeavy(),
        .reservationRacesEviction(.mutex),
    ]
}
