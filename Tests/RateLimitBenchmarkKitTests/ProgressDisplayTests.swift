import RateLimitTesting
import Synchronization
import Testing

@testable import RateLimitBenchmarkKit

/// Progress for a person on a terminal (one updating line) and for a log everywhere else.
@Suite("Progress display")
struct ProgressDisplayTests {
    /// Everything written, and a clock the test moves.
    final class Screen: Sendable {
        let text = Mutex("")
        let nanoseconds = Mutex<Int64>(0)

        func display(isTerminal: Bool, width: Int = 200) -> ProgressDisplay {
            ProgressDisplay(
                isTerminal: isTerminal, width: width,
                write: { text in self.text.withLock { $0 += text } },
                now: { self.nanoseconds.withLock { $0 } })
        }
    }

    @Test func aLogGetsOneLinePerEvent() {
        let screen = Screen()
        let display = screen.display(isTerminal: false)
        display.report(.repetition(done: 1, total: 4, cell: "hot-allow × 1 thr, atomic rep 1", opsPerSecond: 2.5e7))
        display.log("wrote x.json")
        display.finish()
        #expect(screen.text.withLock { $0 } == "[1/4] hot-allow × 1 thr, atomic rep 1: 25.0 M ops/s\nwrote x.json\n")
    }

    @Test func aTerminalGetsOneUpdatingLineWithTheTimeLeft() {
        let screen = Screen()
        let display = screen.display(isTerminal: true)
        display.report(.repetition(done: 1, total: 5, cell: "a", opsPerSecond: 1))
        // Two more repetitions in 10 s: 5 s each, two left.
        screen.nanoseconds.withLock { $0 = 10_000_000_000 }
        display.report(.repetition(done: 3, total: 5, cell: "b", opsPerSecond: 1))
        display.log("memory: 40 B per key")
        display.report(.retry("noisy: measuring again"))
        display.finish()
        let clear = "\r\u{1B}[2K"
        let first = "[████░░░░░░░░░░░░░░░░] 1/5 a"
        let second = "[████████████░░░░░░░░] 3/5 b · 10s left"
        #expect(
            screen.text.withLock { $0 }
                == clear + first + clear + second
                + clear + "memory: 40 B per key\n" + second
                + clear + "noisy: measuring again\n" + second
                + clear)
    }

    @Test func theStatusLineFitsTheTerminal() {
        let line = ProgressDisplay.statusLine(
            done: 7, total: 96, cell: String(repeating: "x", count: 200), nanosecondsLeft: 72_000_000_000, width: 60)
        #expect(line.count == 60 && line.hasSuffix("…") && line.hasPrefix("[█░░░"))
        #expect(ProgressDisplay.duration(45_400_000_000) == "45s")
        #expect(ProgressDisplay.duration(65_000_000_000) == "1m05s")
        #expect(ProgressDisplay.duration(7_500_000_000_000) == "2h05m")
    }
}
