import RateLimitTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Proves that ThreadSanitizer is live in CI: this test races on purpose, and `.ci/run` runs it
/// alone under `--sanitize=thread`, requiring the run to *fail* with a data-race report. Without
/// TSan (or with `RATELIMIT_TSAN_CANARY` unset) it does not run.
@Suite("ThreadSanitizer canary")
struct ThreadSanitizerCanaryTests {
    final class UnsynchronisedCounter: @unchecked Sendable {
        // @unchecked on purpose: this is the race TSan must report.
        var value = 0
    }

    @Test(.enabled(if: getenv("RATELIMIT_TSAN_CANARY") != nil, "set RATELIMIT_TSAN_CANARY=1 under --sanitize=thread"))
    func deliberateDataRaceIsReported() {
        let counter = UnsynchronisedCounter()
        RealThreads.run(2) { _ in
            for _ in 0..<10_000 {
                counter.value += 1
            }
        }
        #expect(counter.value > 0)
    }
}
