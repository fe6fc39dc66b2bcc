import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MetricsTestKit
import RateLimit
import RateLimitHummingbird
import Testing

// Who a request is counted against: addresses, header keys, custom keys, no key at all.
extension RouterTests {
    @Test("Each client address has its own bucket; IPv6 clients by /64, embedded IPv4 clients by /32")
    func bucketsPerClient() async throws {
        let policy = try BucketPolicy(capacity: 2, refill: 1, every: .seconds(60))
        let app = Self.app(try Self.middleware(policy: policy))
        try await app.test(.router) { client async throws in
            func get(_ peer: String) async throws -> HTTPResponse.Status {
                try await client.execute(uri: "/", method: .get, headers: [TestPeerMiddleware.header: peer]) {
                    $0.status
                }
            }
            #expect(try await get("192.0.2.1") == .ok)
            #expect(try await get("192.0.2.1") == .ok)
            #expect(try await get("192.0.2.1") == .tooManyRequests)
            #expect(try await get("192.0.2.2") == .ok)
            // A dual-stack listener reports IPv4 clients as IPv4-mapped IPv6: the same client.
            #expect(try await get("::ffff:192.0.2.2") == .ok)
            #expect(try await get("192.0.2.2") == .tooManyRequests)
            // Two addresses of one /64 share a bucket; the neighbouring /64 does not.
            #expect(try await get("2001:db8::1") == .ok)
            #expect(try await get("2001:db8::ffff") == .ok)
            #expect(try await get("2001:db8::2") == .tooManyRequests)
            #expect(try await get("2001:db8:0:1::1") == .ok)
            // IPv4 clients behind NAT64 are keyed by their IPv4 address, not the gateway's /64.
            #expect(try await get("64:ff9b::198.51.100.1") == .ok)
            #expect(try await get("64:ff9b::198.51.100.2") == .ok)
            #expect(try await get("64:ff9b::198.51.100.1") == .ok)
            #expect(try await get("198.51.100.1") == .tooManyRequests)
            #expect(try await get("::ffff:0:198.51.100.2") == .ok)
            #expect(try await get("::198.51.100.2") == .tooManyRequests)
        }
    }

    @Test("Without a client key, requests share one bucket by default")
    func unidentifiedShareABucket() async throws {
        let observed = Observed()
        let app = Self.app(try Self.middleware(observed: observed))
        try await app.test(.router) { client async throws in
            for expected in [9, 8, 7] {
                try await client.execute(uri: "/", method: .get, headers: [TestPeerMiddleware.header: "none"]) {
                    response in
                    #expect(response.status == .ok)
                    #expect(response.integer(.xRateLimitRemaining) == expected)
                }
            }
            // An identified client is unaffected.
            try await client.execute(uri: "/", method: .get) { #expect($0.integer(.xRateLimitRemaining) == 9) }
        }
        #expect(
            observed.metrics.counterTotal(
                label: RateLimitMetricLabels.requests, dimensions: [("policy", "default"), ("outcome", "allowed")]) == 4
        )
    }

    @Test("Without a client key, requests can be rejected instead")
    func unidentifiedRejected() async throws {
        let observed = Observed()
        let app = Self.app(
            try Self.middleware(unidentified: .reject(status: .unauthorized), observed: observed), observed: observed)
        try await app.test(.router) { client async throws in
            try await client.execute(uri: "/", method: .get, headers: [TestPeerMiddleware.header: "none"]) { response in
                #expect(response.status == .unauthorized)
                #expect(response.text == #"{"error":"Unauthorized","detail":"The client could not be identified."}"#)
                #expect(response.headers[.xRateLimitLimit] == nil)
            }
        }
        #expect(
            observed.metrics.counterTotal(
                label: RateLimitMetricLabels.requests, dimensions: [("policy", "default"), ("outcome", "rejected")])
                == 1)
        #expect(observed.logs.entries.map(\.message.description) == ["Rejected request: no client key"])
    }

    @Test("A header key: one bucket per value; missing, repeated or oversized values identify no client")
    func headerKey() async throws {
        let apiKey = HTTPField.Name("X-API-Key")!
        let policy = try BucketPolicy(capacity: 1, refill: 1, every: .seconds(60))
        let app = Self.app(
            try Self.middleware(policy: policy, key: .header(apiKey, maximumLength: 16), unidentified: .reject()))
        try await app.test(.router) { client async throws in
            func get(_ headers: HTTPFields) async throws -> HTTPResponse.Status {
                try await client.execute(uri: "/", method: .get, headers: headers) { $0.status }
            }
            #expect(try await get([apiKey: "alpha"]) == .ok)
            #expect(try await get([apiKey: "alpha"]) == .tooManyRequests)
            #expect(try await get([apiKey: "beta"]) == .ok)
            #expect(try await get([:]) == .badRequest)
            #expect(try await get([apiKey: String(repeating: "k", count: 17)]) == .badRequest)
            var repeated = HTTPFields()
            repeated.append(HTTPField(name: apiKey, value: "gamma"))
            repeated.append(HTTPField(name: apiKey, value: "delta"))
            #expect(try await get(repeated) == .badRequest)
        }
    }

    @Test("A custom key, such as an authenticated user")
    func customKey() async throws {
        let user = HTTPField.Name("X-User")!
        let policy = try BucketPolicy(capacity: 1, refill: 1, every: .seconds(60))
        let key = ClientKeyExtractor<TestContext>.custom { request, _ in request.headers[user] }
        let app = Self.app(try Self.middleware(policy: policy, key: key))
        try await app.test(.router) { client async throws in
            try await client.execute(uri: "/", method: .get, headers: [user: "ada"]) { #expect($0.status == .ok) }
            try await client.execute(uri: "/", method: .get, headers: [user: "ada"]) {
                #expect($0.status == .tooManyRequests)
            }
            try await client.execute(uri: "/", method: .get, headers: [user: "grace"]) { #expect($0.status == .ok) }
        }
    }
}
