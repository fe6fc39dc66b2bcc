/// Asks `condition` every `interval` until it holds; `false` only when the task was cancelled,
/// as the suite's `.timeLimit` does when it runs out.
///
/// Tests wait with this rather than with a deadline of their own. `swift test` runs every suite in
/// one process, and a continuation can wait for a thread of the cooperative pool as long as a
/// synchronous test beside it holds one (33 s seen under ThreadSanitizer on two cores), so no
/// wall-clock bound short of the time limit is sound; a condition that never holds fails the test
/// either way, at the time limit.
package func pollUntil(
    every interval: Duration = .milliseconds(20),
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    while !Task.isCancelled {
        if try await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return false
}
