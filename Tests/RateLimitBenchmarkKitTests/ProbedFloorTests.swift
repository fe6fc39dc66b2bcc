import RateLimit
import RateLimitBenchmarkKit
import RateLimitTesting
import Testing

/// The `floor-probed` diagnostic row: the keyed floor's decisions, found through a hash and a
/// probe, measured only when named.
@Suite("Probed floor")
struct ProbedFloorTests {
    @Test func itDecidesAsTheKeyedFloorOnEveryKey() throws {
        let policy = try BucketPolicy(capacity: 3, refill: 1, every: .seconds(1))
        let clock = ManualClock()
        let keys = 1000
        // A fixed seed: the layout, and so the longest probe, is the same on every run.
        let probed = ProbedFloorLimiter(policy: policy, keys: keys, clock: clock, seed: 42)
        let keyed = KeyedFloorLimiter(policy: policy, keys: keys, clock: clock)
        var generator = SplitMix64(seed: 7)
        for step in 0..<20_000 {
            let key = Int(generator.next() % UInt64(keys))
            let cost = Int(generator.next() % 3)
            let expected = keyed.acquire(key, cost: cost)
            let actual = probed.acquire(key, cost: cost)
            try #require(actual == expected, "step \(step), key \(key), cost \(cost)")
            if step % 97 == 0 { try clock.advance(by: .milliseconds(350)) }
        }
        // 1000 keys in 2048 cells: with the hash's home slots spread, the longest probe is a few
        // slots; a constant home slot (a broken mix) would make it 999.
        #expect(probed.longestProbe < 32, "longest probe \(probed.longestProbe)")
    }

    @Test func itIsADiagnosticRowMeasuredOnlyWhenNamed() {
        #expect(BenchmarkEngine(rawValue: "floor-probed") == .floorProbed)
        #expect(BenchmarkEngine.floorProbed.isFloor && !BenchmarkEngine.floorProbed.isRateLimiter)
        #expect(BenchmarkEngine.allCases.contains(.floorProbed))
        #expect(!BenchmarkEngine.localEngines.contains(.floorProbed))
        #expect(
            Workload.standard.filter(BenchmarkEngine.floorProbed.measures) == [
                .hotAllow, .hotDeny, .uniformAllow, .zipfAllow,
            ])
    }
}
