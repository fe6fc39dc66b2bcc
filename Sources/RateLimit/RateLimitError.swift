/// An error thrown by this package: an invalid policy, cost or configuration, or a backing store
/// that cannot be reached.
///
/// Every message names the rejected value and the range that would have been accepted, so that a
/// misconfiguration can be fixed from the message alone:
///
/// ```
/// invalid capacity 0: must be in 1...4611686018427387904
/// ```
public struct RateLimitError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of problem the error reports.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case invalidPolicy
            case invalidCost
            case invalidConfiguration
            case unavailable
            case wouldExceedTimeout
        }

        private let value: Value

        private init(_ value: Value) {
            self.value = value
        }

        /// A ``BucketPolicy`` parameter is out of range, or the parameters together overflow.
        public static let invalidPolicy = Code(.invalidPolicy)
        /// A request cost is negative.
        public static let invalidCost = Code(.invalidCost)
        /// An engine or component parameter (such as `maxKeys` or a shard count) is out of range.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// A backing store (for example Redis) could not answer in time.
        public static let unavailable = Code(.unavailable)
        /// Waiting for tokens would take longer than the caller allows
        /// (``ReservingRateLimiter/wait(_:cost:timeout:)``); nothing was taken.
        public static let wouldExceedTimeout = Code(.wouldExceedTimeout)

        /// The code in words, such as `invalid policy`.
        public var description: String {
            switch self.value {
            case .invalidPolicy: "invalid policy"
            case .invalidCost: "invalid cost"
            case .invalidConfiguration: "invalid configuration"
            case .unavailable: "unavailable"
            case .wouldExceedTimeout: "would exceed timeout"
            }
        }
    }

    /// What kind of problem this is.
    public let code: Code
    /// A one-line, human-readable explanation that names the value and the allowed range.
    public let message: String

    /// Creates an error with a code and a message.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String {
        self.message
    }
}

extension RateLimitError {
    @usableFromInline
    package static func invalidCost(_ cost: Int, capacity: Int) -> RateLimitError {
        RateLimitError(
            code: .invalidCost,
            message:
                "invalid cost \(cost): must be in 0...\(Int.max) (0 peeks, more than the capacity \(capacity) is always denied)"
        )
    }

    /// A policy parameter out of range: `message` names the parameter, its value and what is allowed,
    /// such as `capacity 0: must be in 1...2^62`.
    package static func invalidPolicy(_ message: String) -> RateLimitError {
        RateLimitError(code: .invalidPolicy, message: "invalid " + message)
    }

    /// A configuration value out of range: `invalid <name> <value>: must be <allowed>`.
    package static func invalidConfiguration(_ name: String, _ value: some Any, allowed: String) -> RateLimitError {
        RateLimitError(code: .invalidConfiguration, message: "invalid \(name) \(value): must be \(allowed)")
    }
}
