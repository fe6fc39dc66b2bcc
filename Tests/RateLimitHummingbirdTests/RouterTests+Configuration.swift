import HTTPTypes
import Hummingbird
import RateLimit
import RateLimitHummingbird
import Testing

// Invalid configuration fails at construction, naming the value.
extension RouterTests {
    @Test("Invalid configuration fails with a message naming the value")
    func invalidConfiguration() throws {
        let limiter = try AtomicRateLimiter<ClientKey>(policy: tutorialPolicy())
        func message(_ body: () throws -> Void) -> String? {
            do {
                try body()
                return nil
            } catch let error as RateLimitError {
                #expect(error.code == .invalidConfiguration)
                return error.message
            } catch {
                Issue.record("unexpected \(error)")
                return nil
            }
        }
        #expect(
            message { _ = try RateLimitMiddleware<TestContext>(limiter: limiter, name: "") }
                == #"invalid rate-limit policy name "": must be 1...64 printable ASCII characters"#
        )
        #expect(
            message { _ = try RateLimitMiddleware<TestContext>(limiter: limiter, name: "naïve") }?.contains("\"naïve\"")
                == true)
        #expect(
            message { _ = try RateLimitMiddleware<TestContext>(limiter: limiter, exemptPaths: ["health"]) }
                == #"invalid exempt path "health": must start with "/" and not end with one, such as "/health""#
        )
        #expect(
            message { _ = try RateLimitMiddleware<TestContext>(limiter: limiter, exemptPaths: ["/health/"]) }?.contains(
                "\"/health/\"") == true)
        #expect(
            message { _ = try ClientKeyExtractor<TestContext>.remoteAddress(ipv6PrefixLength: 0) }?.contains(
                "ipv6PrefixLength 0") == true)
        #expect(
            message { _ = try ClientKeyExtractor<TestContext>.remoteAddress(ipv6PrefixLength: 129) }?.contains(
                "1...128") == true)
        #expect(
            message { _ = try ClientKeyExtractor<TestContext>.header(.authorization, maximumLength: 0) }?.contains(
                "maximumLength 0") == true)

        // A structured-field Integer has at most 15 digits; a larger capacity cannot be advertised.
        let huge = try AtomicRateLimiter<ClientKey>(
            policy: BucketPolicy(capacity: 1_000_000_000_000_000, refill: 1, every: .nanoseconds(1)))
        #expect(
            message { _ = try RateLimitMiddleware<TestContext>(limiter: huge) }?.contains("999999999999999") == true)
        #expect(message { _ = try RateLimitMiddleware<TestContext>(limiter: huge, headers: .legacy) } == nil)
    }
}
