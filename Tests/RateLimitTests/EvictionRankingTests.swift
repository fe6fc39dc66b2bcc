import RateLimitTesting
import Testing

@testable import RateLimit

/// The eviction scan ranks its window with arithmetic instead of a branch per slot, reading every
/// slot's state whether occupied or not. These tests hold it to a plain walk of the same window,
/// slot by slot, on tables whose empty slots still hold what removed buckets left there, from
/// every hand position, at readings that make none, some or all of the window full.
@Suite("Eviction ranking")
struct EvictionRankingTests {
    /// A window as ``BucketTable/makeRoom(nowTicks:arithmetic:)`` defines it, walked plainly: the
    /// next ``BucketTable/evictionWindow`` occupied slots from `hand` (fewer when the table holds
    /// fewer), the first of them with the least state, and the slot after the window.
    static func plainWalk(_ states: [Int64?], hand: Int) -> (victim: Int, state: Int64, end: Int) {
        let mask = states.count - 1
        let count = states.filter { $0 != nil }.count
        var slot = hand & mask
        var examined = 0
        var visited = 0
        var victim = -1
        var least = Int64.max
        while examined < BucketTable<Int>.evictionWindow && visited <= mask && count > 0 {
            if let state = states[slot] {
                examined += 1
                if state < least {
                    victim = slot
                    least = state
                }
            }
            slot = (slot + 1) & mask
            visited += 1
        }
        return (victim, least, slot)
    }

    /// Readings around the states present: before all of them, in the middle, after all.
    static func readings(_ states: [Int64?]) -> [Int64] {
        let present = states.compactMap { $0 }.sorted()
        guard let first = present.first, let last = present.last else { return [0] }
        return [first - 1, first, present[present.count / 2], last, last + 1]
    }

    /// Buckets that owe 1 to 10 tokens, taken at increasing readings, into a table of `maxKeys`
    /// (fewer keys than the window, and more): past the bound, so that drops leave stale bytes in
    /// emptied slots.
    static let sizes = [8, 40]
    static let insertedKeys = 300
    static let policy = try! BucketPolicy(capacity: 10, refill: 1, every: .milliseconds(1))

    /// The hash of the tables below made with `seed`.
    static func hashing(seed: UInt64) -> KeyHashing<Int> {
        var random = SplitMix64(seed: seed)
        return KeyHashing<Int>(seed: random.next())
    }

    static func filledTable(seed: UInt64, maxKeys: Int) -> BucketTable<Int> {
        let hashing = Self.hashing(seed: seed)
        // The costs: a stream of their own, so that `hashing(seed:)` alone names the hash.
        var random = SplitMix64(seed: ~seed)
        var table = BucketTable<Int>(maxKeys: maxKeys, epoch: 0)
        for key in 0..<Self.insertedKeys {
            let cost = Int.random(in: 1...10, using: &random)
            _ = table.apply(
                Acquisition(cost: cost), to: key, hash: hashing.hash(key), now: Int64(key) * 100_000,
                arithmetic: Self.policy.arithmetic)
        }
        return table
    }

    static func filledStore(seed: UInt64, maxKeys: Int) throws -> ConcurrentBucketStore<Int> {
        let hashing = Self.hashing(seed: seed)
        // The costs: a stream of their own, so that `hashing(seed:)` alone names the hash.
        var random = SplitMix64(seed: ~seed)
        let store = try ConcurrentBucketStore<Int>(arithmetic: Self.policy.arithmetic, maxKeys: maxKeys, epoch: 0)
        for key in 0..<Self.insertedKeys {
            let cost = Int.random(in: 1...10, using: &random)
            _ = store.decideLocked(key, hash: hashing.hash(key), cost: cost, now: Int64(key) * 100_000)
        }
        return store
    }

    /// Whether any slot of the store's index names an entry of `key`.
    static func holds(_ store: ConcurrentBucketStore<Int>, _ key: Int) -> Bool {
        let index = SlotIndex(store.index.load(ordering: .relaxed))
        return (0...index.mask).contains { slot in
            let word = index.slots[slot].load(ordering: .relaxed)
            return word != 0 && store.entries[SlotIndex.entry(of: word)].key == key
        }
    }

    static func states(_ table: borrowing BucketTable<Int>) -> [Int64?] {
        (0...table.mask).map { table.tags[$0] != 0 ? table.elements[$0].stored : nil }
    }

    static func states(_ store: ConcurrentBucketStore<Int>) -> [Int64?] {
        let index = SlotIndex(store.index.load(ordering: .relaxed))
        return (0...index.mask).map { slot in
            let word = index.slots[slot].load(ordering: .relaxed)
            return word == 0 ? nil : store.entries[SlotIndex.entry(of: word)].state.load(ordering: .relaxed)
        }
    }

    static let seeds: [UInt64] = [1, 2, 3]

    @Test(arguments: Self.seeds, Self.sizes)
    func tableRanksItsWindowLikeAPlainWalk(seed: UInt64, maxKeys: Int) throws {
        var table = Self.filledTable(seed: seed, maxKeys: maxKeys)
        #expect(table.evicted + table.expired > 0, "the table must have dropped buckets, leaving stale bytes")
        let states = Self.states(table)
        for nowTicks in Self.readings(states) {
            for hand in 0...table.mask {
                table.hand = hand
                let ranked = table.rankWindow(nowTicks: nowTicks)
                let walked = Self.plainWalk(states, hand: hand)
                #expect(
                    ranked.victim == walked.victim && ranked.victimStored == walked.state && ranked.end == walked.end)
                #expect(ranked.sawFull == (walked.state <= nowTicks), "hand \(hand), reading \(nowTicks)")
            }
        }
    }

    @Test(arguments: Self.seeds, Self.sizes)
    func storeRanksItsWindowLikeAPlainWalk(seed: UInt64, maxKeys: Int) throws {
        let store = try Self.filledStore(seed: seed, maxKeys: maxKeys)
        #expect(store.statistics.evictedBuckets + store.statistics.expiredBuckets > 0)
        let index = SlotIndex(store.index.load(ordering: .relaxed))
        let states = Self.states(store)
        let count = store.statistics.trackedKeys
        for hand in 0...index.mask {
            let ranked = store.rankWindow(index: index, from: hand, count: count)
            let walked = Self.plainWalk(states, hand: hand)
            #expect(
                ranked.victim == walked.victim && ranked.victimState == walked.state && ranked.end == walked.end,
                "hand \(hand)")
        }
    }

    /// Room made in a window without a full bucket: the walk's victim leaves, counted as an
    /// eviction, the floor forgives what it owed, and the hand moves past the window.
    @Test(arguments: Self.seeds, Self.sizes)
    func tableMakesRoomByEvictingTheWalksVictim(seed: UInt64, maxKeys: Int) throws {
        let hashing = Self.hashing(seed: seed)
        let slots = Self.filledTable(seed: seed, maxKeys: maxKeys).mask + 1
        for hand in 0..<slots {
            var table = Self.filledTable(seed: seed, maxKeys: maxKeys)
            let states = Self.states(table)
            let nowTicks = states.compactMap { $0 }.min()! - 1 // nothing full
            let walked = Self.plainWalk(states, hand: hand)
            let victim = table.elements[walked.victim].key
            let (count, evicted, floor) = (table.count, table.evicted, table.floor)
            table.hand = hand
            table.makeRoom(nowTicks: nowTicks, arithmetic: Self.policy.arithmetic)
            #expect(table.hand == walked.end, "hand \(hand)")
            #expect(table.count == count - 1 && table.evicted == evicted + 1)
            #expect(table.find(victim, tag: HashTag.tag(hashing.hash(victim)), hint: nil) == nil)
            #expect(table.floor == Self.policy.arithmetic.floor(floor, afterRemoving: walked.state, now: nowTicks))
        }
    }

    @Test(arguments: Self.seeds, Self.sizes)
    func storeMakesRoomByEvictingTheWalksVictim(seed: UInt64, maxKeys: Int) throws {
        let slots = try withExtendedLifetime(Self.filledStore(seed: seed, maxKeys: maxKeys)) { store in
            SlotIndex(store.index.load(ordering: .relaxed)).mask + 1
        }
        for hand in 0..<slots {
            let store = try Self.filledStore(seed: seed, maxKeys: maxKeys)
            let states = Self.states(store)
            let nowTicks = states.compactMap { $0 }.min()! - 1 // nothing full
            let walked = Self.plainWalk(states, hand: hand)
            let index = SlotIndex(store.index.load(ordering: .relaxed))
            let victim = store.entries[SlotIndex.entry(of: index.slots[walked.victim].load(ordering: .relaxed))].key
            store.writer.withLock(0) { writer in
                let (count, evicted, floor) = (writer.count, writer.evicted, writer.floor)
                writer.hand = hand
                store.makeRoom(nowTicks: nowTicks, writer: &writer)
                #expect(writer.hand == walked.end, "hand \(hand)")
                #expect(writer.count == count - 1 && writer.evicted == evicted + 1)
                #expect(writer.floor == Self.policy.arithmetic.floor(floor, afterRemoving: walked.state, now: nowTicks))
            }
            #expect(!Self.holds(store, victim), "hand \(hand): the victim is still indexed")
        }
    }
}
