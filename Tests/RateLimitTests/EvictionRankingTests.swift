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

    /// Buckets that owe 1 to 10 tokens, taken at increasing readings, into a table of `maxKeys`:
    /// past the bound, so that evictions leave stale bytes in emptied slots.
    static let maxKeys = 40
    static let insertedKeys = 300

    @Test(arguments: [1, 2, 3] as [UInt64])
    func tableRanksItsWindowLikeAPlainWalk(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let policy = try BucketPolicy(capacity: 10, refill: 1, every: .milliseconds(1))
        let hashing = KeyHashing<Int>(seed: random.next())
        var table = BucketTable<Int>(maxKeys: Self.maxKeys, epoch: 0)
        for key in 0..<Self.insertedKeys {
            let cost = Int.random(in: 1...10, using: &random)
            _ = table.decide(
                key, hash: hashing.hash(key), cost: cost, now: Int64(key) * 100_000, arithmetic: policy.arithmetic)
        }
        #expect(table.evicted > 0, "the table must have evicted, so that emptied slots hold stale bytes")
        let states: [Int64?] = (0...table.mask).map { table.tags[$0] != 0 ? table.elements[$0].stored : nil }
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

    @Test(arguments: [1, 2, 3] as [UInt64])
    func storeRanksItsWindowLikeAPlainWalk(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let policy = try BucketPolicy(capacity: 10, refill: 1, every: .milliseconds(1))
        let hashing = KeyHashing<Int>(seed: random.next())
        let store = try ConcurrentBucketStore<Int>(arithmetic: policy.arithmetic, maxKeys: Self.maxKeys, epoch: 0)
        for key in 0..<Self.insertedKeys {
            let cost = Int.random(in: 1...10, using: &random)
            _ = store.decideLocked(key, hash: hashing.hash(key), cost: cost, now: Int64(key) * 100_000)
        }
        #expect(store.statistics.evictedBuckets > 0, "the store must have evicted, so that entries were retired")
        let index = SlotIndex(store.index.load(ordering: .relaxed))
        let states: [Int64?] = (0...index.mask).map { slot in
            let word = index.slots[slot].load(ordering: .relaxed)
            return word == 0 ? nil : store.entries[SlotIndex.entry(of: word)].state.load(ordering: .relaxed)
        }
        let count = store.statistics.trackedKeys
        for nowTicks in Self.readings(states) {
            for hand in 0...index.mask {
                let ranked = store.rankWindow(index: index, from: hand, count: count, nowTicks: nowTicks)
                let walked = Self.plainWalk(states, hand: hand)
                #expect(
                    ranked.victim == walked.victim && ranked.victimState == walked.state && ranked.end == walked.end,
                    "hand \(hand), reading \(nowTicks)")
            }
        }
    }
}
