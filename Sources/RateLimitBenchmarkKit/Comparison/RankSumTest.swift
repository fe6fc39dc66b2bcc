import Foundation

/// The Mann–Whitney U (Wilcoxon rank-sum) test of two samples, with the Hodges–Lehmann estimate of
/// the shift between them and its confidence interval — the distribution-free comparison Go's
/// benchstat uses, here on logarithms so that the shift is a ratio.
///
/// No distribution is assumed: benchmark repetitions are skewed (a stolen time slice only ever
/// slows one down) and few. The interval comes from inverting the test (Bauer 1972): over the
/// `n·m` pairwise differences `y[j] − x[i]`, sorted, it runs from the `C`-th to the
/// `(n·m + 1 − C)`-th, where `C − 1` is the largest `U` the test would reject at `α/2` in one tail.
/// So the interval excludes zero exactly when the two-sided test rejects at `α`.
package struct RankSumTest: Sendable, Equatable {
    /// `U`: pairs with `x[i] < y[j]`, ties counting one half.
    package let u: Double
    /// Two-sided p-value: exact from the null distribution of `U` without ties and with at most
    /// 50 values per sample; otherwise the normal approximation with tie and continuity corrections.
    package let pValue: Double
    /// The median of the pairwise differences `y[j] − x[i]`.
    package let shift: Double
    /// The confidence interval of the shift; `nil` when the samples are too small to reach the
    /// confidence asked for (3 + 3 values cannot reach 95 %: the most extreme order has
    /// probability 1/20 in each tail).
    package let interval: ClosedRange<Double>?

    /// - Parameters:
    ///   - x: The first sample (the baseline), at least one value.
    ///   - y: The second sample, at least one value.
    ///   - alpha: One minus the confidence level, in `(0, 1)`.
    /// - Complexity: O(n·m·log(n·m)) for the pairwise differences, plus O(n²·m²) for the exact
    ///   distribution when it is used.
    package init(_ x: [Double], _ y: [Double], alpha: Double) {
        precondition(!x.isEmpty && !y.isEmpty && alpha > 0 && alpha < 1)
        let n = x.count
        let m = y.count
        var u = 0.0
        var ties = false
        var differences: [Double] = []
        differences.reserveCapacity(n * m)
        for a in x {
            for b in y {
                if a < b {
                    u += 1
                } else if a == b {
                    u += 0.5
                    ties = true
                }
                differences.append(b - a)
            }
        }
        differences.sort()
        self.u = u
        self.shift = medianOfSorted(differences)

        let pairs = n * m
        if !ties && n <= 50 && m <= 50 {
            let distribution = Self.exactDistribution(n, m)
            let total = distribution.reduce(0, +)
            // P(U ≤ k), for the tails and for the interval's order statistic.
            var cumulative: [Double] = []
            cumulative.reserveCapacity(pairs + 1)
            var sum = 0.0
            for count in distribution {
                sum += count
                cumulative.append(sum / total)
            }
            let observed = Int(u)
            let lower = cumulative[observed]
            let upper = 1 - (observed > 0 ? cumulative[observed - 1] : 0)
            self.pValue = min(1, 2 * min(lower, upper))
            // C − 1: the largest k with P(U ≤ k) ≤ α/2; the distribution is symmetric.
            var c = 0
            while c <= pairs && cumulative[c] <= alpha / 2 { c += 1 }
            self.interval = c >= 1 ? differences[c - 1]...differences[pairs - c] : nil
        } else {
            self.pValue = Self.normalPValue(x, y, u: u)
            // The same order statistic from the normal approximation (without tie correction).
            let mean = Double(pairs) / 2
            let deviation = (Double(pairs) * Double(n + m + 1) / 12).squareRoot()
            let k = Int((mean - Self.normalQuantile(1 - alpha / 2) * deviation - 0.5).rounded(.down))
            self.interval = k >= 0 && k < pairs - k ? differences[k]...differences[pairs - 1 - k] : nil
        }
    }

    /// Counts of each `U` in `0...n·m` over all `C(n+m, n)` orders of the two samples, equally
    /// likely when both come from one distribution. Whichever value is largest: an x adds no pair,
    /// so `f(i, j)` gets `f(i−1, j)`; a y lies above all `i` x values, so it gets `f(i, j−1)`
    /// shifted by `i`.
    static func exactDistribution(_ n: Int, _ m: Int) -> [Double] {
        // previous[j] is f(i − 1, j); f(0, j) is one order with U = 0.
        var previous: [[Double]] = Array(repeating: [1], count: m + 1)
        for i in stride(from: 1, through: n, by: 1) {
            var current: [[Double]] = [[1]] // f(i, 0)
            for j in stride(from: 1, through: m, by: 1) {
                var counts = [Double](repeating: 0, count: i * j + 1)
                for (value, count) in previous[j].enumerated() { counts[value] += count }
                for (value, count) in current[j - 1].enumerated() { counts[value + i] += count }
                current.append(counts)
            }
            previous = current
        }
        return previous[m]
    }

    private static func normalPValue(_ x: [Double], _ y: [Double], u: Double) -> Double {
        let n = Double(x.count)
        let m = Double(y.count)
        let all = (x + y).sorted()
        var tieTerm = 0.0
        var index = 0
        while index < all.count {
            var end = index
            while end + 1 < all.count && all[end + 1] == all[index] { end += 1 }
            let t = Double(end - index + 1)
            tieTerm += t * t * t - t
            index = end + 1
        }
        let total = n + m
        let variance = n * m / 12 * ((total + 1) - tieTerm / (total * (total - 1)))
        guard variance > 0 else { return 1 }
        let z = max(0, abs(u - n * m / 2) - 0.5) / variance.squareRoot()
        return min(1, erfc(z / 2.0.squareRoot()))
    }

    /// The standard normal quantile, by bisection on `erfc` (precise enough for an order statistic).
    private static func normalQuantile(_ probability: Double) -> Double {
        var low = -10.0
        var high = 10.0
        for _ in 0..<100 {
            let middle = (low + high) / 2
            if 1 - erfc(middle / 2.0.squareRoot()) / 2 < probability { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }
}
