import Foundation

/// `--rate`: how many decisions per second an open-loop cell offers, in total over its threads.
package enum OfferedRate: Hashable, Sendable {
    /// A fixed rate, the same for every engine.
    case perSecond(Double)
    /// A share of each engine's own closed-loop maximum, measured first in the same run with
    /// every decision timed, as the open loop times them: `50%` compares the engines at equal load.
    case fractionOfMaximum(Double)

    /// Parses `2e6`, `500000` (decisions per second, in 1...1e9) or `50%` (in 1%...100%).
    package static func parse(_ text: String) throws(ArgumentError) -> OfferedRate {
        let trimmed = text.trimmingWhitespace()
        let allowed =
            "a rate in 1...1e9 decisions per second (such as 2e6), or a share of each engine's measured maximum in 1%...100% (such as 50%)"
        if trimmed.hasSuffix("%") {
            guard let percent = Double(trimmed.dropLast()), percent >= 1, percent <= 100 else {
                throw .invalid("rate", text, mustBe: allowed)
            }
            return .fractionOfMaximum(percent / 100)
        }
        guard let rate = Double(trimmed), rate.isFinite, rate >= 1, rate <= 1e9 else {
            throw .invalid("rate", text, mustBe: allowed)
        }
        return .perSecond(rate)
    }
}

/// One point of a latency-by-percentile curve: the latency at or below which `percentile` % of
/// the decisions completed.
package struct LatencyPoint: Codable, Hashable, Sendable {
    package var percentile: Double
    package var nanoseconds: UInt64

    package init(percentile: Double, nanoseconds: UInt64) {
        self.percentile = percentile
        self.nanoseconds = nanoseconds
    }

    /// The percentiles an open-loop cell records: four per decade of `1 / (1 − p)` (0, 43.8, 68.4,
    /// 82.2, 90, …) up to 99.999, then 100 (the maximum) — evenly spaced on the classic
    /// HdrHistogram plot's axis.
    package static let percentiles: [Double] = {
        let steps: [Double] = (0...20).map { step -> Double in
            let tail: Double = pow(10.0, -Double(step) / 4)
            return 100 * (1 - tail)
        }
        return steps + [100]
    }()
}
