import RateLimitTesting
import Testing

@testable import RateLimit

/// ``ExactDivisor`` against the `/` operator: divisors of every shape (powers of two, their
/// neighbours, the policies' usual ticks, the largest), dividends at every boundary that matters
/// (multiples of the divisor and their neighbours, the top of the range) and at random.
@Suite("Exact division")
struct ExactDivisorTests {
    static let divisors: [Int64] = {
        var divisors: [Int64] = [1, 2, 3, 5, 6, 7, 10, 1000, 1_000_000, 100_000_000, 1_000_000_000, 3_600_000_000_000]
        for bits in 1...62 {
            let power = Int64(1) << bits
            divisors += [power - 1, power, power + 1]
        }
        divisors += [Int64.max - 1, Int64.max, (1 << 62) - 3, 0x5555_5555_5555_5555]
        var generator = SplitMix64(seed: 11)
        for _ in 0..<200 {
            // A random width, then a random value of that width.
            let bits = Int(generator.next() % 63) + 1
            divisors.append(Int64(bitPattern: generator.next() >> UInt64(64 - bits)) | 1)
        }
        return divisors
    }()

    @Test func quotientsMatchDivisionOverTheWholeRange() {
        var generator = SplitMix64(seed: 12)
        var checked = 0
        for d in Self.divisors where d > 0 {
            let divisor = ExactDivisor(d)
            var dividends: [Int64] = [0, 1, 2, Int64.max, Int64.max - 1, 1 << 62, (1 << 62) - 1]
            for multiple in [Int64(1), 2, 3, Int64.max / d - 1, Int64.max / d] where multiple > 0 {
                let (product, overflow) = multiple.multipliedReportingOverflow(by: d)
                guard !overflow else { continue }
                dividends += [product - 1, product]
                if product < Int64.max { dividends.append(product + 1) }
            }
            for _ in 0..<300 {
                let bits = Int(generator.next() % 63) + 1
                dividends.append(Int64(bitPattern: generator.next() >> UInt64(64 - bits)))
            }
            for n in dividends where n >= 0 {
                guard divisor.divide(n) == n / d else {
                    Issue.record("\(n) / \(d): \(divisor.divide(n)), expected \(n / d)")
                    return
                }
                checked += 1
            }
        }
        #expect(checked > 100_000)
    }

    @Test func roundingUpMatchesTheCeiling() {
        for d: Int64 in [1, 2, 3, 7, 1_000_000_000, (1 << 61) + 1] {
            let divisor = ExactDivisor(d)
            for n: Int64 in [0, 1, d - 1, d, d + 1, 2 * d - 1, 2 * d, (1 << 62) - 1] where n >= 0 {
                let expected = n / d + (n % d == 0 ? 0 : 1)
                #expect(divisor.divideRoundingUp(n) == expected, "⌈\(n) / \(d)⌉")
            }
        }
    }
}
