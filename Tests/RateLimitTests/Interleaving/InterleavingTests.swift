import RateLimitTesting
import Testing

/// Every schedule of small scenarios — 2 callers, 1–2 operations each, a drop, an eviction, a
/// backward shift, an index growth or a rebase between them — on a fresh engine each time, every
/// history checked for linearizability against `SequentialModel`.
///
/// One scenario at a time (each keeps a core busy), each on threads of its own.
@Suite("Interleavings", .serialized)
struct InterleavingTests {
    @Test(
        "every schedule is linearizable",
        arguments: InterleavingScenario.all.filter { !ThreadSanitizer.isActive || !$0.heavy })
    func everySchedule(_ scenario: InterleavingScenario) async throws {
        let outcome = try await InterleavingRunner.explore(scenario)
        print("interleavings: \(outcome)")
        #expect(outcome.schedules > 1, "\(outcome)")
        #expect(outcome.witnessed > 0, "no schedule showed the interleaving the scenario exists for: \(outcome)")
    }
}
