import RateLimitBenchmarkKit
import Testing

@Suite("Zipf distribution")
struct DistributionTests {
    @Test func ranksFollowAPowerLaw() {
        let zipf = ZipfDistribution(count: 1000, exponent: 1.1)
        var generator = SystemRandomNumberGenerator()
        var counts = [Int](repeating: 0, count: 1000)
        for _ in 0..<200_000 {
            counts[zipf.sample(using: &generator)] += 1
        }
        // P(rank 0) / P(rank 1) = 2^1.1 ≈ 2.14, and the head dominates the tail.
        let ratio = Double(counts[0]) / Double(counts[1])
        #expect(ratio > 1.9 && ratio < 2.4, "ratio \(ratio)")
        #expect(counts[0] > counts[9] * 10)
        #expect(counts[0..<10].reduce(0, +) > counts[500..<1000].reduce(0, +))
    }

    @Test func boundariesMapToValidRanks() {
        let zipf = ZipfDistribution(count: 7, exponent: 1.1)
        #expect(zipf.rank(forUnit: 0) == 0)
        #expect(zipf.rank(forUnit: 0.999_999_999) == 6)
    }
}
