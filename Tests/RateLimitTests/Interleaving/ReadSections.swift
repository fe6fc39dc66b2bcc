/// Checks the grace-period guarantee directly: when a writer's wait for a grace period ends, no
/// read section that had begun before the wait started may still be running — or the writer could
/// free what that reader holds.
struct ReadSections {
    /// Per thread: the number of read sections begun, and whether one is running.
    private var begun: [Int: Int] = [:]
    private var running: Set<Int> = []
    /// Per waiting writer: the sections (thread, number) running when its wait started.
    private var awaited: [Int: [(thread: Int, section: Int)]] = [:]

    mutating func enter(_ thread: Int, _ entered: Bool) {
        if entered {
            self.begun[thread, default: 0] += 1
            self.running.insert(thread)
        } else {
            self.running.remove(thread)
        }
    }

    /// Returns a violation when a wait ends too early.
    mutating func gracePeriod(_ writer: Int, _ started: Bool) -> String? {
        if started {
            self.awaited[writer] = self.running.filter { $0 != writer }.map { ($0, self.begun[$0, default: 0]) }
            return nil
        }
        let late = (self.awaited.removeValue(forKey: writer) ?? []).filter {
            self.running.contains($0.thread) && self.begun[$0.thread] == $0.section
        }
        guard let first = late.first else { return nil }
        return
            "the grace period of \(InterleavingExplorer.name(writer)) ended while \(InterleavingExplorer.name(first.thread)), in a read section since before it began, still ran"
    }
}
