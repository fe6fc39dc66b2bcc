@testable import RateLimit
import Testing

/// The multiply-and-shift division used on every decision must equal integer division for every
/// dividend an engine can produce (0...Int64.max) and every divisor a policy can produce (1...2⁶¹).
@Suite("Invariant divisor")
struct InvariantDivisorTests {
    static let divisors: [Int64] = [1, 2, 3, 5, 7, 10, 1000, 1_000_000, 142_857, 1_000_000_000, 1_000_000_001, 3_600_000_000_000, (1 << 32) - 1, 1 << 32, (1 << 32) + 1, (1 << 61) - 1, 1 << 61]

    @Test(arguments: divisors)
    func matchesIntegerDivision(divisor: Int64) {
        let division = InvariantDivisor(divisor)
        var generator = SystemRandomNumberGenerator()
        var dividends: [Int64] = [0, 1, divisor - 1, divisor, divisor + 1, Int64.max, Int64.max - 1, Int64.max - divisor + 1, 1 << 62, (1 << 62) + (1 << 61)]
        for multiple in [Int64(1), 2, 3, 1000, Int64.max / divisor] {
            let (product, overflow) = multiple.multipliedReportingOverflow(by: divisor)
            if !overflow {
                dividends += [product - 1, product, product &+ 1].filter { $0 >= 0 }
            }
        }
        for _ in 0..<20_000 {
            dividends.append(Int64.random(in: 0...Int64.max, using: &generator))
            dividends.append(Int64.random(in: 0...(1 << 40), using: &generator))
        }
        for n in dividends where n >= 0 {
            #expect(division.quotient(n) == n / divisor, "\(n) / \(divisor)")
            if n <= Int64.max - divisor + 1 {
                #expect(division.ceilingQuotient(n) == (n / divisor) + (n % divisor == 0 ? 0 : 1), "⌈\(n) / \(divisor)⌉")
            }
        }
    }

    @Test func randomDivisors() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let divisor = Int64.random(in: 1...(1 << 61), using: &generator) >> Int64.random(in: 0...60, using: &generator)
            let division = InvariantDivisor(max(divisor, 1))
            for _ in 0..<200 {
                let n = Int64.random(in: 0...Int64.max, using: &generator) >> Int64.random(in: 0...62, using: &generator)
                #expect(division.quotient(n) == n / max(divisor, 1))
            }
        }
    }
}
