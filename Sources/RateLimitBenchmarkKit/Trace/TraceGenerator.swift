import Foundation
import RateLimitTesting

/// A synthetic trace with the shape of real API traffic, for `--trace` when no access log is at
/// hand (`ratelimit-bench trace`):
///
/// - **heavy-tailed clients**: request keys drawn from Zipf(1.1) over `keys` IPv4 addresses, so a
///   few clients send most requests and most clients send few;
/// - **bursts**: 2 % of arrivals start a burst from one client (a page load, a retry storm) of
///   5 to 50 requests 100 µs apart (before the offsets are scaled to `duration`);
/// - **diurnal swing**: the arrival rate follows one sine period over the trace, from 30 % to 170 %
///   of the mean (a day compressed into `duration`);
/// - **costs**: 1, with 5 % of requests costing 5 (an expensive endpoint).
///
/// The same seed gives the same trace.
package struct TraceGenerator: Sendable {
    package var requests: Int
    package var keys: Int
    package var duration: Duration
    package var seed: UInt64

    package init(requests: Int, keys: Int, duration: Duration, seed: UInt64) {
        self.requests = requests
        self.keys = keys
        self.duration = duration
        self.seed = seed
    }

    /// The share of arrivals that start a burst, and a burst's spacing.
    static let burstShare = 0.02
    static let burstSpacingNanoseconds: Int64 = 100_000

    /// The trace as CSV: a `key,cost,offset_ns` header, then one request per line.
    ///
    /// - Complexity: O(requests + keys).
    package func csv() -> String {
        var random = SplitMix64(seed: self.seed)
        let zipf = ZipfDistribution(count: self.keys, exponent: 1.1)
        // Addresses in a shuffled order, so that the hot ranks are not 10.0.0.0, 10.0.0.1, …
        var addresses = (0..<self.keys).map { CellRunner.address($0) }
        addresses.shuffle(using: &random)
        let span = Double(self.duration.saturatingNanoseconds)
        let meanGap = span / Double(self.requests)
        var requests: [(key: String, cost: Int, offset: Int64)] = []
        requests.reserveCapacity(self.requests)
        var time = 0.0
        var pending: (key: String, left: Int, next: Int64)?
        while requests.count < self.requests {
            let key: String
            let offset: Int64
            if var burst = pending {
                key = burst.key
                offset = burst.next
                burst.left -= 1
                burst.next += Self.burstSpacingNanoseconds
                pending = burst.left > 0 ? burst : nil
                // Arrivals after the burst come after its last request: offsets never decrease.
                time = max(time, Double(offset))
            } else {
                // Exponential gaps at the diurnal rate: thinner at night, denser at noon.
                let rate = 1 + 0.7 * sin(2 * Double.pi * time / span - Double.pi / 2)
                let unit = Double.random(in: Double.ulpOfOne..<1, using: &random)
                time += -log(unit) * meanGap / rate
                key = addresses[zipf.sample(using: &random)]
                offset = Int64(time)
                if Double.random(in: 0..<1, using: &random) < Self.burstShare {
                    let size = Int.random(in: 5...50, using: &random)
                    pending = (key, size - 1, offset + Self.burstSpacingNanoseconds)
                }
            }
            let cost = Double.random(in: 0..<1, using: &random) < 0.05 ? 5 : 1
            requests.append((key, cost, max(offset, 0)))
        }
        // Bursts add requests without adding time, and the swing stretches it: scale the offsets
        // so that the trace spans `duration`.
        let scale = span / Double(max(requests.last?.offset ?? 1, 1))
        var lines = ["key,cost,offset_ns"]
        lines.reserveCapacity(requests.count + 1)
        for request in requests {
            lines.append("\(request.key),\(request.cost),\(Int64(Double(request.offset) * scale))")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
