/// What the runner reports while it measures, for a log line or a progress bar.
package enum BenchmarkProgress: Hashable, Sendable {
    /// Repetition `done` of `total` finished (`total` grows when `--retry-noisy` re-runs cells).
    case repetition(done: Int, total: Int, cell: String, opsPerSecond: Double)
    /// Cells over the noise limits are measured again.
    case retry(String)

    /// The event as one line of the log.
    package var line: String {
        switch self {
        case .repetition(let done, let total, let cell, let opsPerSecond):
            "[\(done)/\(total)] \(cell): \(millions(opsPerSecond)) M ops/s"
        case .retry(let message):
            message
        }
    }
}
