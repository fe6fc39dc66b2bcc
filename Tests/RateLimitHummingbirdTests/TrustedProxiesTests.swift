import HTTPTypes
import RateLimit
import RateLimitHummingbird
import Testing

@Suite("Trusted proxies and forwarding headers")
struct TrustedProxiesTests {
    static let proxies = try! TrustedProxies(["10.0.0.0/8", "2001:db8:ffff::/48"])
    static let forwardedProxies = try! TrustedProxies(["10.0.0.0/8", "2001:db8:ffff::/48"], header: .forwarded)
    static let proxy = IPAddress("10.0.0.1")!
    static let stranger = IPAddress("198.51.100.50")!

    func client(
        _ fields: [(HTTPField.Name, String)], via proxies: TrustedProxies = Self.proxies, peer: IPAddress = Self.proxy
    ) -> String? {
        var headers = HTTPFields()
        for (name, value) in fields {
            headers.append(HTTPField(name: name, value: value))
        }
        return proxies.clientAddress(peer: peer, headers: headers)?.description
    }

    @Test("Headers from an untrusted peer are ignored, whatever they say")
    func untrustedPeer() {
        #expect(client([(.xForwardedFor, "203.0.113.9")], peer: Self.stranger) == "198.51.100.50")
        #expect(client([(.xForwardedFor, "garbage")], peer: Self.stranger) == "198.51.100.50")
        #expect(
            client([(.forwarded, "for=203.0.113.9")], via: Self.forwardedProxies, peer: Self.stranger)
                == "198.51.100.50")
        #expect(client([(.xForwardedFor, "203.0.113.9")], via: .none, peer: Self.proxy) == "10.0.0.1")
    }

    @Test(
        "X-Forwarded-For from a trusted peer: the right-most untrusted hop",
        arguments: [
            ("203.0.113.9", "203.0.113.9"),
            ("6.6.6.6, 203.0.113.9", "203.0.113.9"), // the client's own claim is left of the truth
            ("203.0.113.9, 10.1.1.1, 10.2.2.2", "203.0.113.9"), // skip the proxy chain
            ("10.3.3.3, 10.1.1.1", "10.3.3.3"), // all trusted: the left-most began the request
            ("  203.0.113.9 ,, ", "203.0.113.9"), // whitespace and empty members
            ("203.0.113.9:41234", "203.0.113.9"), // ports some proxies append
            ("[2001:db8::7]:443", "2001:db8::7"),
            ("2001:db8::7", "2001:db8::7"),
            ("[2001:db8::7]", "2001:db8::7"),
            ("2001:db8::7, 2001:db8:ffff::2", "2001:db8::7"),
            ("::ffff:203.0.113.9", "203.0.113.9"),
            ("", "10.0.0.1"), // no hops: the proxy sent it itself
            ("\u{1F1E6}\u{0600}, 203.0.113.9", "203.0.113.9"), // U+0600 and "," are one Character
            ("64:ff9b::203.0.113.9", "64:ff9b::cb00:7109"), // keyed as 203.0.113.9 by the extractor
        ]
    )
    func xForwardedFor(value: String, expected: String) {
        #expect(client([(.xForwardedFor, value)]) == expected)
    }

    @Test(
        "Malformed X-Forwarded-For hops between the proxy and the client leave no usable key",
        arguments: [
            "garbage", "203.0.113.9, garbage", "unknown", "203.0.113.9, 10.1.1.1, 999.1.1.1", "[2001:db8::7",
            "1.2.3.4:99999",
            "[1.2.3.4]", "203.0.113.9:", "1.2.3.4:5:6",
        ]
    )
    func malformedXForwardedFor(value: String) {
        #expect(client([(.xForwardedFor, value)]) == nil)
    }

    @Test("Malformed hops left of the client do not matter")
    func malformedLeftOfClient() {
        #expect(client([(.xForwardedFor, "garbage, \"quoted\", 203.0.113.9")]) == "203.0.113.9")
    }

    @Test("Repeated header lines form one list, in order")
    func repeatedLines() {
        #expect(client([(.xForwardedFor, "6.6.6.6"), (.xForwardedFor, "203.0.113.9, 10.1.1.1")]) == "203.0.113.9")
        #expect(client([(.xForwardedFor, "203.0.113.9"), (.xForwardedFor, "10.1.1.1")]) == "203.0.113.9")
    }

    @Test("Only the configured header counts")
    func onlyTheConfiguredHeader() {
        #expect(client([(.forwarded, "for=203.0.113.9")]) == "10.0.0.1")
        #expect(client([(.xForwardedFor, "203.0.113.9")], via: Self.forwardedProxies) == "10.0.0.1")
    }

    @Test(
        "Forwarded from a trusted peer: the right-most untrusted hop",
        arguments: [
            ("for=203.0.113.9", "203.0.113.9"),
            ("FOR=203.0.113.9;proto=https;by=10.0.0.1", "203.0.113.9"),
            ("for=6.6.6.6, for=203.0.113.9", "203.0.113.9"),
            ("for=203.0.113.9, for=10.1.1.1", "203.0.113.9"),
            (#"for="[2001:db8:cafe::17]:4711""#, "2001:db8:cafe::17"),
            (#"for="203.0.113.9:4711""#, "203.0.113.9"),
            (#"for="203.0.113.9:_port""#, "203.0.113.9"),
            (#"for="\2\0\3.0.113.9""#, "203.0.113.9"), // quoted-pair escapes
            ("for=203.0.113.9 ; proto=http , for=10.1.1.1", "203.0.113.9"),
            (#"proto="a,b;c", for=203.0.113.9"#, "203.0.113.9"), // separators inside quotes
            (#"for=_hidden, for=203.0.113.9"#, "203.0.113.9"),
            (#"for=203.0.113.9, for=10.1.1.1;by="x,y;\"z""#, "203.0.113.9"), // a proxy's quoted separators
            // Whatever the client wrote left of the proxy's element is never read.
            ("for=, for=203.0.113.9", "203.0.113.9"),
            (#"for="x, for=203.0.113.9"#, "203.0.113.9"),
            ("a=b=c, for=203.0.113.9", "203.0.113.9"),
            ("for=6.6.6.6;for=7.7.7.7, for=203.0.113.9", "203.0.113.9"),
            (#"garbage"\\", for=203.0.113.9"#, "203.0.113.9"),
            ("for=\u{0600}, for=203.0.113.9", "203.0.113.9"),
        ]
    )
    func forwarded(value: String, expected: String) {
        #expect(client([(.forwarded, value)], via: Self.forwardedProxies) == expected)
    }

    @Test(
        "Malformed Forwarded values leave no usable key",
        arguments: [
            "for=203.0.113.9, garbage", // not a pair
            #"for="203.0.113.9"#, // unterminated quote
            "for=2001:db8::1", // IPv6 must be quoted and bracketed
            #"for="2001:db8::1""#, // and bracketed
            "for=unknown",
            "for=_hidden",
            "proto=https", // no for
            "for=203.0.113.9;for=203.0.113.10", // ambiguous
            "for=", // empty value
            "=203.0.113.9",
            #"for="203.0.113.9:99999""#,
            "for=203.0.113.9;;proto=http, for=10.1.1.1 x",
            ",",
        ]
    )
    func malformedForwarded(value: String) {
        #expect(client([(.forwarded, value)], via: Self.forwardedProxies) == nil)
    }

    @Test("Huge values cost one scan and never choose the bucket")
    func hugeValues() {
        let junk = String(repeating: "6.6.6.6, ", count: 20_000) // 180 KB
        #expect(client([(.xForwardedFor, junk + "203.0.113.9")]) == "203.0.113.9")
        let trustedChain = Array(repeating: "10.1.1.1", count: 20_000).joined(separator: ",")
        #expect(client([(.xForwardedFor, "203.0.113.9," + trustedChain)]) == "203.0.113.9")
        #expect(client([(.xForwardedFor, String(repeating: "9", count: 100_000))]) == nil)
        let forwardedJunk = String(repeating: "for=6.6.6.6;proto=http, ", count: 10_000)
        #expect(client([(.forwarded, forwardedJunk + "for=203.0.113.9")], via: Self.forwardedProxies) == "203.0.113.9")
    }

    @Test("Invalid entries fail with the value")
    func invalidEntries() {
        #expect(throws: RateLimitError.self) { try TrustedProxies(["10.0.0.0/8", "10.0.0.0/33"]) }
        do {
            _ = try TrustedProxies(["fe80::1/10"])
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("\"fe80::1/10\""))
            #expect(error.message.contains("did you mean fe80::/10?"))
        }
    }
}
