/// A trace and the way its cells replay it.
package struct TraceReplay: Hashable, Sendable {
    /// How the threads issue the trace's requests.
    package enum Timing: String, CaseIterable, Hashable, Sendable {
        /// As fast as they can, in the trace's order: throughput on that traffic.
        case closed
        /// At the recorded offsets (wrapping around after the last), each request timed from when
        /// it was due: latency at the trace's own rate, bursts included.
        case recorded
    }

    package var trace: Trace
    package var timing: Timing

    package init(trace: Trace, timing: Timing) {
        self.trace = trace
        self.timing = timing
    }

    /// Thread `thread`'s share of `count` requests among `threads`: every `threads`-th, starting
    /// at its own index, so that together they keep the trace's order (and one request, when there
    /// are more threads than requests).
    static func share(of thread: Int, threads: Int, count: Int) -> [Int] {
        let mine = Array(stride(from: thread, to: count, by: threads))
        return mine.isEmpty ? [thread % count] : mine
    }
}
