import Synchronization

/// Raised once by the measuring thread to end a cell; workers poll it between batches.
final class StopFlag: Sendable {
    private let raised = Atomic<Bool>(false)

    /// Relaxed: polling needs no ordering; joining the workers orders everything they did.
    var isRaised: Bool {
        @inline(__always) get { self.raised.load(ordering: .relaxed) }
    }

    func raise() {
        self.raised.store(true, ordering: .relaxed)
    }
}
