import RateLimit
import RateLimitHummingbird
import Testing

@Suite("Client keys")
struct ClientKeyTests {
    @Test("The engines' fast hash: an address feeds its two words, a name keeps SipHash")
    func fastHash() throws {
        func hash(_ key: some RateLimitKey) -> Int {
            var hasher = RateLimitKeyHasher(seed: 99)
            key.rateLimitHash(into: &hasher)
            return hasher.finalize()
        }
        let address = try #require(IPAddress("2001:db8::7"))
        #expect(hash(ClientKey.address(address)) == hash(address))
        let mapped = try #require(IPAddress("::ffff:192.0.2.7"))
        #expect(hash(ClientKey.address(mapped)) == hash(try #require(IPAddress("192.0.2.7"))))
        #expect(hash(address) != hash(mapped))
        var name = RateLimitKeyHasher(seed: 99)
        name.combine(strongly: ClientKey.name("api-key-1"))
        #expect(hash(ClientKey.name("api-key-1")) == name.finalize())
        #expect(hash(ClientKey.name("api-key-1")) != hash(ClientKey.name("api-key-2")))
    }

    @Test("Stable names keep kinds apart and names whole")
    func stableNames() throws {
        let address = try #require(IPAddress("192.0.2.7"))
        #expect(ClientKey.address(address).stableName == "ip:192.0.2.7")
        #expect(ClientKey.name("192.0.2.7").stableName == "name:192.0.2.7")
        #expect(ClientKey.unidentified.stableName == "unidentified")
        #expect(ClientKey.name("unidentified").stableName == "name:unidentified")
        let network = try #require(IPAddress("2001:db8:1:2::"))
        #expect(ClientKey.address(network).stableName == "ip:2001:db8:1:2::")
    }

    @Test("Stable names are injective where descriptions collide")
    func injective() {
        let prefix = String(repeating: "k", count: 64)
        let first = ClientKey.name(prefix + "-first")
        let second = ClientKey.name(prefix + "-second")
        #expect(first.description == second.description) // truncated for logs
        #expect(first.stableName != second.stableName)
        #expect(first.stableName == "name:" + prefix + "-first")

        // Every pair of distinct keys of a varied set has distinct names.
        let keys: [ClientKey] =
            ["", ":", "ip:1.2.3.4", "1.2.3.4", "unidentified", "name:x", "x", prefix + "-first", prefix + "-second"]
            .map(ClientKey.name)
            + ["1.2.3.4", "::1", "::ffff:1.2.3.4", "2001:db8::", "64:ff9b::1.2.3.4"].compactMap { IPAddress($0) }.map(
                ClientKey.address)
            + [.unidentified]
        let distinct = Set(keys)
        #expect(Set(distinct.map(\.stableName)).count == distinct.count)
    }

    /// In Redis, names are bytes; in memory they must be too, or one client would share a bucket
    /// in one engine and not in another.
    @Test("Names compare as UTF-8 bytes, not by Unicode canonical equivalence")
    func bytewiseNames() {
        let composed = ClientKey.name("caf\u{e9}")
        let decomposed = ClientKey.name("cafe\u{301}")
        #expect("caf\u{e9}" == "cafe\u{301}") // String's own ==
        #expect(composed != decomposed)
        #expect(!composed.stableName.utf8.elementsEqual(decomposed.stableName.utf8)) // two names in Redis
        #expect(Set([composed, decomposed, ClientKey.name("caf\u{e9}")]).count == 2)
        #expect(composed == ClientKey.name(String(decoding: Array("caf\u{e9}".utf8), as: UTF8.self)))
    }
}
