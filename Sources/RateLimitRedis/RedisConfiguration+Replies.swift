import RateLimit
import RedisClient

extension RedisConfiguration {
    /// The caps on replies and on timeouts in a row, with the ranges their settings accept: wide
    /// enough for any use, and never below what the limiter itself receives (a 7-element array of
    /// integers, a 40-byte SHA-1, error lines of a few hundred bytes).
    static let maximumConsecutiveTimeoutsRange = 1...1000
    static let maximumReplyLineLengthRange = 256...(1 << 20)
    static let maximumReplyBulkLengthRange = 64...(64 << 20)
    static let maximumReplyArrayLengthRange = 7...(1 << 20)
    static let maximumReplyDepthRange = 1...32

    /// The reply caps as the parser takes them.
    var replyLimits: RESPLimits {
        RESPLimits(
            maximumLineLength: self.maximumReplyLineLength,
            maximumBulkLength: self.maximumReplyBulkLength,
            maximumArrayCount: self.maximumReplyArrayLength,
            maximumDepth: self.maximumReplyDepth
        )
    }

    func validateReplyLimits() throws(RateLimitError) {
        try Self.check(
            "maximumConsecutiveTimeouts", self.maximumConsecutiveTimeouts, in: Self.maximumConsecutiveTimeoutsRange)
        try Self.check(
            "maximumReplyLineLength", self.maximumReplyLineLength, in: Self.maximumReplyLineLengthRange, " bytes")
        try Self.check(
            "maximumReplyBulkLength", self.maximumReplyBulkLength, in: Self.maximumReplyBulkLengthRange, " bytes")
        try Self.check(
            "maximumReplyArrayLength", self.maximumReplyArrayLength, in: Self.maximumReplyArrayLengthRange, " elements")
        try Self.check("maximumReplyDepth", self.maximumReplyDepth, in: Self.maximumReplyDepthRange, " levels")
    }
}
