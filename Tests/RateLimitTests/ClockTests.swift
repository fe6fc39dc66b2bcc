import RateLimit
import RateLimitTesting
import Testing

@Suite("Clocks")
struct ClockTests {
    @Test func manualClockStartsAtZeroAndAdvances() throws {
        let clock = ManualClock()
        #expect(clock.monotonicNanoseconds() == 0)
        try clock.advance(by: .milliseconds(1500))
        #expect(clock.monotonicNanoseconds() == 1_500_000_000)
        try clock.advance(nanoseconds: 7)
        #expect(clock.monotonicNanoseconds() == 1_500_000_007)
    }

    @Test func manualClockRejectsBadAdvancesAndStaysPut() throws {
        let clock = ManualClock()
        try clock.advance(nanoseconds: 10)
        #expect { try clock.advance(by: .seconds(-1)) } throws: {
            ($0 as? RateLimitError)?.code == .invalidConfiguration
        }
        #expect { try clock.advance(by: .nanoseconds(1) / 4) } throws: {
            ($0 as? RateLimitError)?.message.contains("whole number of nanoseconds") == true
        }
        #expect { try clock.advance(nanoseconds: -3) } throws: {
            ($0 as? RateLimitError)?.message == "invalid clock advance -3 ns: must be in 0...9223372036854775807 ns"
        }
        #expect { try clock.advance(nanoseconds: .max) } throws: {
            ($0 as? RateLimitError)?.message.contains("in 0...9223372036854775797 ns from reading 10 ns") == true
        }
        #expect(clock.monotonicNanoseconds() == 10)
    }

    @Test func manualClockAdvancesAreNotLostAcrossThreads() throws {
        let clock = ManualClock()
        RealThreads.run(8) { _ in
            for _ in 0..<1000 { try? clock.advance(nanoseconds: 3) }
        }
        #expect(clock.monotonicNanoseconds() == 8 * 1000 * 3)
    }

    @Test func monotonicClocksMoveForward() {
        let precise = MonotonicClock()
        let coarse = CoarseMonotonicClock()
        var last = precise.monotonicNanoseconds()
        var lastCoarse = coarse.monotonicNanoseconds()
        for _ in 0..<10_000 {
            let now = precise.monotonicNanoseconds()
            let nowCoarse = coarse.monotonicNanoseconds()
            #expect(now >= last)
            #expect(nowCoarse >= lastCoarse)
            last = now
            lastCoarse = nowCoarse
        }
        // The coarse clock is the time of the last tick: it never runs ahead of the precise clock,
        // and lags it by about one resolution (plus however long this thread was preempted).
        let resolution = coarse.resolution
        #expect(resolution > .zero && resolution <= .milliseconds(10))
        let coarseReading = coarse.monotonicNanoseconds()
        let preciseReading = precise.monotonicNanoseconds()
        #expect(coarseReading <= preciseReading)
    }
}
