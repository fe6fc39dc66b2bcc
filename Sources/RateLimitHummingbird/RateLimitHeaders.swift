public import HTTPTypes
import RateLimit

extension HTTPField.Name {
    /// `RateLimit-Policy` (draft-ietf-httpapi-ratelimit-headers): the quota policies that apply.
    public static let rateLimitPolicy = Self("RateLimit-Policy")!
    /// `RateLimit` (draft-ietf-httpapi-ratelimit-headers): the current state of each policy.
    public static let rateLimit = Self("RateLimit")!
    /// `X-RateLimit-Limit`: the bucket's capacity.
    public static let xRateLimitLimit = Self("X-RateLimit-Limit")!
    /// `X-RateLimit-Remaining`: tokens left after this request.
    public static let xRateLimitRemaining = Self("X-RateLimit-Remaining")!
    /// `X-RateLimit-Reset`: seconds until the bucket is full, rounded up.
    public static let xRateLimitReset = Self("X-RateLimit-Reset")!
}

/// Formats one middleware's rate-limit headers; everything that does not depend on the decision
/// is rendered once, up front.
///
/// The IETF fields follow draft-ietf-httpapi-ratelimit-headers-10, mapping a token bucket as:
///
/// | Parameter | Value |
/// |---|---|
/// | policy item | the middleware's name, as a String |
/// | `q` (quota) | the capacity |
/// | `w` (window) | seconds to refill an empty bucket, rounded up |
/// | `r` (remaining) | tokens left after this request |
/// | `t` (reset) | seconds until the bucket is full again, rounded up |
///
/// `qu` is omitted (its default, `"requests"`, is right for cost 1) and so is `pk`, which would
/// echo the client's key back to it.
struct RateLimitHeaders: Sendable {
    /// The largest Integer a structured field may carry (RFC 9651 §3.3.1).
    static let maximumStructuredInteger: Int64 = 999_999_999_999_999

    let style: RateLimitHeaderStyle
    /// `X-RateLimit-Limit`, which never changes.
    private let limitField: HTTPField
    /// `RateLimit-Policy`, which never changes: a member such as `"default";q=10;w=5`.
    let policyField: HTTPField
    /// The policy's name as a structured-field String, such as `"default"`.
    private let policyItem: String

    /// - Throws: `RateLimitError.Code.invalidConfiguration` when the IETF style is on and the
    ///   capacity or window exceeds what a structured-field Integer can carry.
    init(style: RateLimitHeaderStyle, policyName: String, policy: BucketPolicy) throws(RateLimitError) {
        self.style = style
        self.limitField = HTTPField(name: .xRateLimitLimit, value: String(policy.capacity))
        self.policyItem = Self.structuredString(policyName)
        let window = Self.windowSeconds(policy)
        if style.includesIETF {
            guard Int64(policy.capacity) <= Self.maximumStructuredInteger, let window,
                window <= Self.maximumStructuredInteger
            else {
                throw .invalidConfiguration(
                    "policy",
                    "\(policy) for IETF rate-limit headers",
                    allowed: """
                        at most \(Self.maximumStructuredInteger) in capacity and refill window (the largest \
                        structured-field Integer); use a smaller policy or the legacy header style
                        """
                )
            }
        }
        self.policyField = HTTPField(
            name: .rateLimitPolicy, value: "\(self.policyItem);q=\(policy.capacity);w=\(window ?? 0)")
    }

    /// Adds this policy's headers for `decision` to `fields`.
    ///
    /// When an inner middleware already set the legacy headers (nested route groups), the
    /// ones with fewer tokens remaining win: the de facto convention reports the policy closest
    /// to its limit. IETF fields are lists, so each policy appends its own member.
    ///
    /// Runs on every response, so it appends rather than assigns (assigning scans for fields to
    /// replace), writes each number's digits straight into its value (no `String` interpolation
    /// or intermediate strings), and allocates at most once: for the `RateLimit` value, when it is
    /// longer than the 15 bytes a `String` holds inline.
    func write(_ decision: RateLimitDecision, to fields: inout HTTPFields) {
        guard self.style != .none else { return }
        // One reallocation instead of one per appended field.
        fields.reserveCapacity(fields.count + (self.style.includesLegacy ? 3 : 0) + (self.style.includesIETF ? 2 : 0))
        let remaining = Int64(decision.remaining)
        let reset = Self.seconds(roundingUp: decision.resetAfterNanoseconds)
        if self.style.includesLegacy {
            if !fields.contains(.xRateLimitRemaining) {
                fields.append(self.limitField)
                fields.append(HTTPField(name: .xRateLimitRemaining, value: Self.decimal(remaining)))
                fields.append(HTTPField(name: .xRateLimitReset, value: Self.decimal(reset)))
            } else if let existing = fields[.xRateLimitRemaining].flatMap({ Int($0) }), existing <= decision.remaining {
                // Keep the inner, stricter policy's headers.
            } else {
                fields[self.limitField.name] = self.limitField.value
                fields[.xRateLimitRemaining] = Self.decimal(remaining)
                fields[.xRateLimitReset] = Self.decimal(reset)
            }
        }
        if self.style.includesIETF {
            fields.append(self.policyField)
            fields.append(HTTPField(name: .rateLimit, value: self.stateValue(remaining: remaining, reset: reset)))
        }
    }

    /// The `RateLimit` member: `"name";r=remaining;t=reset`, built in one buffer.
    func stateValue(remaining: Int64, reset: Int64) -> String {
        let item = self.policyItem.utf8
        let remainingDigits = Self.digitCount(remaining)
        let resetDigits = Self.digitCount(reset)
        return String(unsafeUninitializedCapacity: item.count + 6 + remainingDigits + resetDigits) { buffer in
            var end = buffer.initialize(fromContentsOf: item)
            for byte in ";r=".utf8 {
                buffer[end] = byte
                end += 1
            }
            end = Self.writeDecimal(remaining, digits: remainingDigits, into: buffer, at: end)
            for byte in ";t=".utf8 {
                buffer[end] = byte
                end += 1
            }
            return Self.writeDecimal(reset, digits: resetDigits, into: buffer, at: end)
        }
    }

    /// `value` in decimal; a negative value (which no decision reports) is written as 0. Up to 15
    /// digits the string is stored inline, without allocating.
    static func decimal(_ value: Int64) -> String {
        let digits = Self.digitCount(value)
        return String(unsafeUninitializedCapacity: digits) { buffer in
            Self.writeDecimal(value, digits: digits, into: buffer, at: 0)
        }
    }

    /// Digits in `value` (at least 1; a negative value counts as 0).
    static func digitCount(_ value: Int64) -> Int {
        var count = 1
        var rest = max(value, 0) / 10
        while rest > 0 {
            count += 1
            rest /= 10
        }
        return count
    }

    /// Writes `value`'s `digits` digits (its ``digitCount(_:)``) into `buffer` from `start`;
    /// returns the end.
    static func writeDecimal(
        _ value: Int64, digits: Int, into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int
    ) -> Int {
        let end = start + digits
        var rest = UInt64(max(value, 0))
        var index = end
        repeat {
            index -= 1
            buffer[index] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        } while rest > 0
        return end
    }

    /// `Retry-After` for a denied decision: whole seconds, rounded up, at least 1; `nil` when
    /// the cost exceeds the capacity and no wait would help.
    static func retryAfterSeconds(_ decision: RateLimitDecision) -> Int64? {
        guard !decision.exceedsCapacity else { return nil }
        return max(1, Self.seconds(roundingUp: decision.retryAfterNanoseconds))
    }

    /// Whole seconds in `nanoseconds`, rounded up; negative input counts as zero.
    static func seconds(roundingUp nanoseconds: Int64) -> Int64 {
        guard nanoseconds > 0 else { return 0 }
        let (seconds, rest) = nanoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
        return rest > 0 ? seconds + 1 : seconds
    }

    /// Seconds for an empty bucket to refill completely, rounded up; `nil` if that overflows.
    static func windowSeconds(_ policy: BucketPolicy) -> Int64? {
        let interval = policy.interval.totalNanoseconds
        let capacity = Int128(policy.capacity)
        let refill = Int128(policy.refill)
        let nanoseconds: Int128
        switch policy.mode {
        case .smooth:
            // One token every interval / refill.
            nanoseconds = (capacity * interval + refill - 1) / refill
        case .stepped:
            // `refill` tokens at each whole interval.
            nanoseconds = (capacity + refill - 1) / refill * interval
        }
        let window = (nanoseconds + 999_999_999) / 1_000_000_000
        return window <= Int128(Int64.max) ? Int64(window) : nil
    }

    /// `value` as an RFC 9651 String: quoted, with `\` and `"` escaped. The caller guarantees
    /// printable ASCII (see ``RateLimitMiddleware``'s name validation).
    static func structuredString(_ value: String) -> String {
        var result = "\""
        for character in value {
            if character == "\\" || character == "\"" { result.append("\\") }
            result.append(character)
        }
        result.append("\"")
        return result
    }

    /// Whether `name` can be a policy name: 1–64 printable ASCII characters (`0x20`–`0x7E`),
    /// what a structured-field String and a metrics label both carry unchanged.
    static func isValidPolicyName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && name.utf8.allSatisfy { (0x20...0x7E).contains($0) }
    }
}
