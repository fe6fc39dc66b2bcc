import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InMemoryLogging
import Logging
import MetricsTestKit
import NIOCore
import RateLimit
import RateLimitHummingbird
import RawStructuredFieldValues
import Testing

/// A request context with the connection's address, which a test middleware may override to
/// play any peer in an in-process router test.
struct TestContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    var remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }
}

/// Sets the context's remote address from the `X-Test-Peer` header (in-process tests have no
/// socket), defaulting to `203.0.113.7` (TEST-NET-3).
struct TestPeerMiddleware: RouterMiddleware {
    static let header = HTTPField.Name("X-Test-Peer")!

    func handle(_ request: Request, context: TestContext, next: (Request, TestContext) async throws -> Response)
        async throws -> Response
    {
        var context = context
        let peer = request.headers[Self.header] ?? "203.0.113.7"
        context.remoteAddress = peer == "none" ? nil : try SocketAddress(ipAddress: peer, port: 40000)
        return try await next(request, context)
    }
}

/// The tutorial's policy: bursts of 10, two tokens a second.
func tutorialPolicy(mode: RefillMode = .smooth) throws -> BucketPolicy {
    try BucketPolicy(capacity: 10, refill: 2, every: .seconds(1), mode: mode)
}

/// A logger for tests that do not inspect logs: warnings and errors only, so that expected
/// denials do not clutter the test output.
let quietLogger: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    return logger
}()

/// Collected logs and metrics of one test.
struct Observed: Sendable {
    let logs = InMemoryLogHandler()
    let metrics = TestMetrics()

    var logger: Logger {
        let handler = self.logs
        var logger = Logger(label: "test", factory: { _ in handler })
        logger.logLevel = .trace
        return logger
    }
}

/// Adds the routes every router test uses.
func addRoutes(to router: some RouterMethods<TestContext>) {
    router.get("/") { _, _ in #"{"message":"Hello, world!"}"# }
    router.get("/data") { _, _ in "data" }
    router.get("/health") { _, _ in "ok" }
    router.get("/users/:id") { _, context in context.parameters.get("id") ?? "" }
    router.get("/missing") { _, _ -> String in throw HTTPError(.notFound) }
}

extension TestResponse {
    /// The body as text.
    var text: String { String(buffer: self.body) }

    /// A header's value as an integer.
    func integer(_ name: HTTPField.Name) -> Int? {
        self.headers[name].flatMap { Int($0) }
    }
}

/// One member of a structured-field List, checked against the draft's grammar: an Item (not an
/// inner list) whose bare item is a String and whose parameters are all Integers.
struct PolicyMember: Equatable, CustomStringConvertible {
    var name: String
    var parameters: [String: Int64]

    var description: String { "\(self.name) \(self.parameters)" }
}

/// Parses a `RateLimit-Policy` or `RateLimit` value with an RFC 9651 parser (not ours), failing
/// the test on anything the draft does not allow.
func parseRateLimitList(_ value: String?, sourceLocation: SourceLocation = #_sourceLocation) throws -> [PolicyMember] {
    let value = try #require(value, sourceLocation: sourceLocation)
    var parser = StructuredFieldValueParser(Array(value.utf8))
    let list = try parser.parseListFieldValue()
    return try list.map { member in
        guard case .item(let item) = member else {
            Issue.record("inner list in \(value)", sourceLocation: sourceLocation)
            throw ParseFailure.innerList
        }
        guard case .string(let name) = item.rfc9651BareItem else {
            Issue.record("policy item is not a String in \(value)", sourceLocation: sourceLocation)
            throw ParseFailure.notAString
        }
        var parameters: [String: Int64] = [:]
        for (key, parameter) in item.rfc9651Parameters {
            guard case .integer(let number) = parameter else {
                Issue.record("parameter \(key) is not an Integer in \(value)", sourceLocation: sourceLocation)
                throw ParseFailure.notAnInteger
            }
            parameters[key] = number
        }
        return PolicyMember(name: name, parameters: parameters)
    }
}

enum ParseFailure: Error {
    case innerList
    case notAString
    case notAnInteger
}
