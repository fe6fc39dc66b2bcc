@testable import RateLimit

/// One request of a scenario: a key, a cost and the clock reading the caller decides with.
struct Operation: Sendable, CustomStringConvertible {
    var key: Int
    var cost: Int
    var reading: Int64

    init(key: Int, cost: Int = 1, at reading: Int64) {
        self.key = key
        self.cost = cost
        self.reading = reading
    }

    var description: String { "key \(self.key) cost \(self.cost) at \(self.reading) ns" }
}

/// Everything that happened in one execution, in the order it happened.
struct History {
    enum Entry {
        /// A request's decision, with the sequence numbers of its invocation and response.
        case operation(thread: Int, operation: Operation, decision: RateLimitDecision, invoked: Int, responded: Int)
        /// A table event, reported during `operation` (whose reading it used).
        case event(InterleavingEvent, during: Operation, at: Int)
    }

    var entries: [Entry] = []
}
