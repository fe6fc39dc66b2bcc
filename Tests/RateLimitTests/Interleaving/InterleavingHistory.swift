@testable import RateLimit

/// One request of a scenario: a key, a cost, the clock reading the caller decides with, and what
/// it does — an acquisition, a reservation, or the cancellation of its thread's latest
/// reservation.
struct Operation: Sendable, CustomStringConvertible {
    enum Kind: Hashable, Sendable {
        case acquire
        case reserve(maxWait: Int64)
        /// Cancels the latest reservation of the same thread (`false` if it made none).
        case cancel
    }

    var key: Int
    var cost: Int
    var reading: Int64
    var kind: Kind

    init(key: Int, cost: Int = 1, at reading: Int64, _ kind: Kind = .acquire) {
        self.key = key
        self.cost = cost
        self.reading = reading
        self.kind = kind
    }

    var description: String {
        switch self.kind {
        case .acquire: "key \(self.key) cost \(self.cost) at \(self.reading) ns"
        case .reserve(let maxWait):
            "reserve key \(self.key) cost \(self.cost) within \(maxWait) ns at \(self.reading) ns"
        case .cancel: "cancel on key \(self.key) at \(self.reading) ns"
        }
    }
}

/// What an operation answered.
enum OperationResult: Hashable, CustomStringConvertible {
    case decided(RateLimitDecision)
    case reserved(waitNanoseconds: Int64, RateLimitDecision)
    case refused(waitNanoseconds: Int64)
    case exceedsCapacity(RateLimitDecision)
    case cancelled(Bool)

    var description: String {
        switch self {
        case .decided(let decision): "\(decision)"
        case .reserved(let wait, let decision): "reserved, wait \(wait) ns: \(decision)"
        case .refused(let wait): "refused, would wait \(wait) ns"
        case .exceedsCapacity(let decision): "exceeds capacity: \(decision)"
        case .cancelled(let returned): returned ? "cancelled, tokens returned" : "not cancelled"
        }
    }
}

/// Everything that happened in one execution, in the order it happened.
struct History {
    enum Entry {
        /// A request's result, with the sequence numbers of its invocation and response.
        case operation(thread: Int, operation: Operation, result: OperationResult, invoked: Int, responded: Int)
        /// A table event, reported during `operation` (whose reading it used).
        case event(InterleavingEvent, during: Operation, at: Int)
    }

    var entries: [Entry] = []
}
