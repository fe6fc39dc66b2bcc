import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import RateLimit
import RateLimitHummingbird
import Testing

@testable import RateLimitDemo

/// The demo server over real TCP connections on loopback, through Hummingbird's HTTP/1.1 server
/// and client: what curl would see.
@Suite("Demo server", .timeLimit(.minutes(3)))
struct DemoServerTests {
    static func demo(
        _ arguments: [String] = [],
        clock: ManualClock = ManualClock(),
        registry: PrometheusCollectorRegistry = .init()
    ) throws -> some ApplicationProtocol {
        let configuration = try DemoConfiguration.parse(arguments + ["--port", "0"])
        // Warnings and errors only: the expected denials would clutter the test output.
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return try DemoApplication.build(configuration: configuration, registry: registry, clock: clock, logger: logger)
            .application
    }

    static func forwarded(_ value: String) -> HTTPFields {
        [.xForwardedFor: value]
    }

    @Test("The demo: 10 × 200 then 429s with a JSON body and every header; /health and /metrics exempt")
    func demoBurst() async throws {
        let registry = PrometheusCollectorRegistry()
        try await Self.demo(["--decision-timing", "all"], registry: registry).test(.live) { client async throws in
            for request in 1...10 {
                let response = try await client.execute(uri: "/data", method: .get)
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == #"{"data":"Some important information"}"#)
                #expect(response.headers[.xRateLimitRemaining] == "\(10 - request)")
            }
            for _ in 11...15 {
                let response = try await client.execute(uri: "/data", method: .get)
                #expect(response.status == .tooManyRequests)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                #expect(response.headers[.retryAfter] == "1")
                #expect(response.headers[.xRateLimitLimit] == "10")
                #expect(response.headers[.xRateLimitRemaining] == "0")
                #expect(response.headers[.xRateLimitReset] == "5")
                #expect(response.headers[.rateLimitPolicy] == #""default";q=10;w=5"#)
                #expect(response.headers[.rateLimit] == #""default";r=0;t=5"#)
                #expect(response.headers[.contentLength] == "\(response.body.readableBytes)")
                #expect(
                    String(buffer: response.body)
                        == #"{"error":"Too Many Requests","detail":"Rate limit exceeded. Retry after 1 s.","retryAfter":1}"#
                )
            }
            // The home page shares the client's bucket.
            #expect(try await client.execute(uri: "/", method: .get).status == .tooManyRequests)
            for _ in 1...20 {
                let health = try await client.execute(uri: "/health", method: .get)
                #expect(health.status == .ok)
                #expect(String(buffer: health.body) == #"{"status":"ok"}"#)
                #expect(health.headers[.xRateLimitLimit] == nil)
            }
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.status == .ok)
            #expect(metrics.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            let exposition = String(buffer: metrics.body)
            #expect(exposition.contains(#"ratelimit_requests_total{policy="default",outcome="allowed"} 10"#))
            #expect(exposition.contains(#"ratelimit_requests_total{policy="default",outcome="denied"} 6"#))
            #expect(exposition.contains(#"ratelimit_decision_duration_seconds_count{policy="default"} 16"#))
        }
    }

    @Test("--shadow: the burst gives 15 × 200 with the headers, and 5 would-be denials counted")
    func shadowBurst() async throws {
        let registry = PrometheusCollectorRegistry()
        try await Self.demo(["--shadow"], registry: registry).test(.live) { client async throws in
            for request in 1...15 {
                let response = try await client.execute(uri: "/data", method: .get)
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == #"{"data":"Some important information"}"#)
                #expect(response.headers[.xRateLimitRemaining] == "\(max(0, 10 - request))")
                #expect(response.headers[.retryAfter] == nil)
            }
            let exposition = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(exposition.contains(#"ratelimit_requests_total{policy="default",outcome="allowed"} 10"#))
            #expect(exposition.contains(#"ratelimit_requests_total{policy="default",outcome="shadow_denied"} 5"#))
            #expect(exposition.contains(#"ratelimit_requests_total{policy="default",outcome="denied"} 0"#))
        }
    }

    @Test("--engine none serves without limiting or headers")
    func noLimiter() async throws {
        try await Self.demo(["--engine", "none"]).test(.live) { client async throws in
            for _ in 1...15 {
                let response = try await client.execute(uri: "/", method: .get)
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == #"{"message":"Hello, world!"}"#)
                #expect(response.headers[.xRateLimitLimit] == nil)
            }
        }
    }

    @Test("X-Forwarded-For names the client only when the peer is a trusted proxy")
    func trustedForwardedFor() async throws {
        // The test client connects to "localhost": 127.0.0.1 or ::1.
        try await Self.demo(["--trusted-proxy", "127.0.0.0/8", "--trusted-proxy", "::1"]).test(.live) {
            client async throws in
            for _ in 1...10 {
                #expect(
                    try await client.execute(uri: "/", method: .get, headers: Self.forwarded("198.51.100.1")).status
                        == .ok)
            }
            #expect(
                try await client.execute(uri: "/", method: .get, headers: Self.forwarded("198.51.100.1")).status
                    == .tooManyRequests)
            // A client cannot escape by prepending its own hop.
            #expect(
                try await client.execute(uri: "/", method: .get, headers: Self.forwarded("6.6.6.6, 198.51.100.1"))
                    .status == .tooManyRequests)
            // Other clients behind the proxy, and the proxy itself, have their own buckets.
            #expect(
                try await client.execute(uri: "/", method: .get, headers: Self.forwarded("198.51.100.2")).headers[
                    .xRateLimitRemaining] == "9")
            #expect(try await client.execute(uri: "/", method: .get).headers[.xRateLimitRemaining] == "9")
        }
    }

    @Test("X-Forwarded-For from an untrusted peer cannot choose the bucket")
    func untrustedForwardedFor() async throws {
        try await Self.demo(["--trusted-proxy", "10.0.0.0/8"]).test(.live) { client async throws in
            for request in 1...12 {
                let response = try await client.execute(
                    uri: "/", method: .get, headers: Self.forwarded("198.51.100.\(request)"))
                #expect(response.status == (request <= 10 ? .ok : .tooManyRequests))
            }
        }
    }

    @Test("Malformed forwarding headers from a trusted proxy share the unidentified bucket; nothing crashes")
    func malformedForwardingHeaders() async throws {
        try await Self.demo(["--trusted-proxy", "127.0.0.0/8", "--trusted-proxy", "::1"]).test(.live) {
            client async throws in
            let malformed = [
                "garbage", "999.1.1.1", "198.51.100.1, nonsense", "[2001:db8::1", "1.2.3.4:99999", "unknown",
                "\"quoted\"",
            ]
            for (index, value) in malformed.enumerated() {
                let response = try await client.execute(uri: "/", method: .get, headers: Self.forwarded(value))
                #expect(response.status == .ok, "\(value)")
                #expect(response.headers[.xRateLimitRemaining] == "\(9 - index)", "\(value)")
            }
            // The proxy's own bucket is separate.
            #expect(try await client.execute(uri: "/", method: .get).headers[.xRateLimitRemaining] == "9")
        }
        try await Self.demo([
            "--trusted-proxy", "127.0.0.0/8", "--trusted-proxy", "::1", "--forwarding-header", "forwarded",
        ]).test(.live) { client async throws in
            let malformed = [
                #"for="198.51.100.1"#, "for=2001:db8::1", "for=198.51.100.1;for=198.51.100.2", "proto=http", ";;;,,,",
            ]
            for (index, value) in malformed.enumerated() {
                let response = try await client.execute(uri: "/", method: .get, headers: [.forwarded: value])
                #expect(response.status == .ok, "\(value)")
                #expect(response.headers[.xRateLimitRemaining] == "\(9 - index)", "\(value)")
            }
            let valid = try await client.execute(
                uri: "/", method: .get, headers: [.forwarded: #"for="[2001:db8::1]:4711";proto=http"#])
            #expect(valid.headers[.xRateLimitRemaining] == "9")
        }
    }

    @Test("Huge header values are handled without choosing the bucket")
    func hugeHeaders() async throws {
        try await Self.demo(["--trusted-proxy", "127.0.0.0/8", "--trusted-proxy", "::1"]).test(.live) {
            client async throws in
            let junk = String(repeating: "6.6.6.6, ", count: 4_000) // 36 KB
            for expected in [9, 8] {
                let response = try await client.execute(
                    uri: "/", method: .get, headers: Self.forwarded(junk + "198.51.100.7"))
                #expect(response.status == .ok)
                #expect(response.headers[.xRateLimitRemaining] == "\(expected)")
            }
            let oneHop = try await client.execute(
                uri: "/", method: .get, headers: Self.forwarded(String(repeating: "f", count: 40_000)))
            #expect(oneHop.status == .ok)
            #expect(oneHop.headers[.xRateLimitRemaining] == "9") // the unidentified bucket
            let other = try await client.execute(
                uri: "/", method: .get, headers: [HTTPField.Name("X-Noise")!: String(repeating: "x", count: 40_000)])
            #expect(other.status == .ok)
            #expect(
                try await client.execute(uri: "/", method: .get, headers: Self.forwarded("198.51.100.7")).headers[
                    .xRateLimitRemaining] == "7")
        }
    }
}
