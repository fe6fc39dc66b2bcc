import RateLimit
import RateLimitTesting

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Progress on standard error: on a terminal, one line that updates in place with the cell, a bar
/// and the time left; otherwise (a file, a pipe, CI) one line per event, as a log.
package final class ProgressDisplay: @unchecked Sendable {
    // @unchecked: every mutable field is read and written under `lock`.
    private let lock = ConditionLock()
    private let isTerminal: Bool
    private let width: Int
    private let write: @Sendable (String) -> Void
    private let now: @Sendable () -> Int64
    /// The status line on screen, if any.
    private var status: String?
    /// When the first repetition finished, and how many had then: the time left is estimated
    /// from the pace since, which leaves out set-up such as the memory probes.
    private var paceStart: (nanoseconds: Int64, done: Int)?

    /// - Parameters:
    ///   - isTerminal: Whether to draw an updating line (`true`) or write a log (`false`).
    ///   - width: Columns the status line may use.
    ///   - write: Writes text as is (no newline added).
    ///   - now: Monotonic nanoseconds.
    package init(
        isTerminal: Bool,
        width: Int,
        write: @escaping @Sendable (String) -> Void,
        now: @escaping @Sendable () -> Int64 = { MonotonicClock().monotonicNanoseconds() }
    ) {
        self.isTerminal = isTerminal
        self.width = max(width, 20)
        self.write = write
        self.now = now
    }

    /// Progress on this process's standard error, drawn when it is a terminal.
    package static func standardError() -> ProgressDisplay {
        let isTerminal = isatty(STDERR_FILENO) == 1
        var size = winsize()
        let columns = isTerminal && ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0 ? Int(size.ws_col) : 0
        return ProgressDisplay(isTerminal: isTerminal, width: columns > 0 ? columns : 80) { text in
            // Unbuffered, like the log lines before it: a partial status line shows at once.
            var bytes = Array(text.utf8)[...]
            while !bytes.isEmpty {
                let written = bytes.withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
                guard written > 0 else { return }
                bytes = bytes.dropFirst(written)
            }
        }
    }

    /// Writes `line` as a line of its own (above the status line, on a terminal).
    package func log(_ line: String) {
        self.lock.withLock {
            if let status = self.status {
                self.write(Self.clearLine + line + "\n" + status)
            } else {
                self.write(line + "\n")
            }
        }
    }

    /// Shows a runner event: the status line on a terminal, a log line otherwise. Re-runs of
    /// noisy cells are always logged.
    package func report(_ event: BenchmarkProgress) {
        guard self.isTerminal, case .repetition(let done, let total, let cell, _) = event else {
            self.log(event.line)
            return
        }
        self.lock.withLock {
            let now = self.now()
            var left: Int64?
            if let start = self.paceStart, done > start.done {
                left = (now - start.nanoseconds) / Int64(done - start.done) * Int64(total - done)
            } else if self.paceStart == nil {
                self.paceStart = (now, done)
            }
            let line = Self.statusLine(done: done, total: total, cell: cell, nanosecondsLeft: left, width: self.width)
            self.status = line
            self.write(Self.clearLine + line)
        }
    }

    /// Removes the status line, leaving the cursor at the start of an empty line.
    package func finish() {
        self.lock.withLock {
            if self.status != nil {
                self.write(Self.clearLine)
                self.status = nil
            }
        }
    }

    /// Carriage return, then ANSI "erase the whole line".
    private static let clearLine = "\r\u{1B}[2K"

    /// `[█████░░░░░░░░░░░░░░░] 12/96 uniform-allow × 2 thr, atomic rep 2 · 1m12s left`, cut to
    /// `width` columns.
    package static func statusLine(done: Int, total: Int, cell: String, nanosecondsLeft: Int64?, width: Int) -> String {
        let barWidth = 20
        let filled = total > 0 ? min(barWidth, barWidth * done / total) : 0
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: barWidth - filled)
        let left = nanosecondsLeft.map { " · \(Self.duration($0)) left" } ?? ""
        let line = "[\(bar)] \(done)/\(total) \(cell)\(left)"
        return line.count <= width ? line : String(line.prefix(width - 1)) + "…"
    }

    /// `45s`, `1m12s`, `2h05m`.
    package static func duration(_ nanoseconds: Int64) -> String {
        let seconds = Int((Double(max(nanoseconds, 0)) / 1e9).rounded())
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return "\(seconds / 60)m\(seconds % 60 < 10 ? "0" : "")\(seconds % 60)s" }
        let minutes = seconds / 60 % 60
        return "\(seconds / 3600)h\(minutes < 10 ? "0" : "")\(minutes)m"
    }
}
