import ArgumentParser
import RateLimitBenchmarkKit

/// `--trace FILE` and how to replay it, shared by `run` and `recommend`.
struct TraceOptions: ParsableArguments {
    @Option(
        help:
            "Replay recorded traffic instead of the synthetic workloads: a CSV of key[,cost[,offset_ns]] per line (see `ratelimit-bench generate-trace`)."
    )
    var trace: String?

    @Option(
        help:
            "How --trace is replayed: closed (as fast as the threads can, in its order) or recorded (at its offsets, each request timed from when it was due)."
    )
    var traceTiming: TraceReplay.Timing = .closed

    /// The trace and its timing, or `nil` without `--trace`.
    ///
    /// - Parameter openLoopRate: Whether `--rate` was given, which `recorded` timing excludes.
    func load(openLoopRate: Bool = false) throws -> TraceReplay? {
        guard let path = self.trace else {
            if self.traceTiming != .closed {
                throw ValidationError("--trace-timing \(self.traceTiming.rawValue) needs --trace FILE")
            }
            return nil
        }
        let trace: Trace
        do throws(ArgumentError) {
            trace = try Trace.read(path: path)
        } catch {
            throw ValidationError(error.description)
        }
        if self.traceTiming == .recorded {
            guard trace.hasOffsets else {
                throw ValidationError(
                    "--trace-timing recorded needs offsets: '\(path)' has lines of key[,cost] only; add offset_ns or use --trace-timing closed"
                )
            }
            guard !openLoopRate else {
                throw ValidationError(
                    "--trace-timing recorded replays the trace at its own rate: use it without --rate, or --trace-timing closed with --rate"
                )
            }
        }
        return TraceReplay(trace: trace, timing: self.traceTiming)
    }
}

extension TraceReplay.Timing: ExpressibleByArgument {}
