/// Samples ranks `0..<count` with probability proportional to `1 / (rank + 1)^exponent`.
///
/// - Complexity: O(count) to build (a cumulative table), O(log count) per sample.
package struct ZipfDistribution: Sendable {
    private let cumulative: [Double]

    /// Creates the distribution over `count` ranks (at least 1) with the given exponent (> 0).
    package init(count: Int, exponent: Double) {
        precondition(count >= 1 && exponent > 0)
        var cumulative = [Double]()
        cumulative.reserveCapacity(count)
        var total = 0.0
        for rank in 0..<count {
            total += 1 / pow(Double(rank + 1), exponent)
            cumulative.append(total)
        }
        self.cumulative = cumulative.map { $0 / total }
    }

    /// The rank for a uniform sample `unit` in `0..<1`.
    package func rank(forUnit unit: Double) -> Int {
        var low = 0
        var high = self.cumulative.count - 1
        while low < high {
            let middle = (low + high) / 2
            if self.cumulative[middle] <= unit {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low
    }

    /// A rank drawn with `generator`.
    package func sample(using generator: inout some RandomNumberGenerator) -> Int {
        self.rank(forUnit: Double.random(in: 0..<1, using: &generator))
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
