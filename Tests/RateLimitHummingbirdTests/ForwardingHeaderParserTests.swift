import HTTPTypes
import RateLimitTesting
import Testing

@testable import RateLimitHummingbird

/// The right-to-left forwarding-header parsers: agreement with a left-to-right reading of the
/// grammar, indifference to whatever stands left of the walk's end, and work linear in bytes —
/// counted, not timed.
@Suite("Forwarding header parsers")
struct ForwardingHeaderParserTests {
    static let proxies = try! TrustedProxies(["10.0.0.0/8"])
    static let forwardedProxies = try! TrustedProxies(["10.0.0.0/8"], header: .forwarded)
    static let proxy = IPAddress("10.0.0.1")!

    /// Every hop, right to left, and the work it cost.
    static func allHops(_ header: TrustedProxies.ForwardingHeader, _ value: String) -> (hops: [ForwardedHop], work: Int)
    {
        var hops: [ForwardedHop] = []
        let work = ForwardingHeaderParser.forEachHop(of: header, in: value) { hop in
            hops.append(hop)
            return true
        }
        return (hops, work)
    }

    static func resolve(_ header: TrustedProxies.ForwardingHeader, _ value: String) -> (client: String?, work: Int) {
        var fields = HTTPFields()
        fields.append(HTTPField(name: header.fieldName, value: value))
        let proxies = header == .forwarded ? Self.forwardedProxies : Self.proxies
        let (client, work) = proxies.resolveClient(peer: Self.proxy, headers: fields)
        return (client?.description, work)
    }

    @Test("Right to left reads every well-formed Forwarded value as left to right does")
    func agreesWithReference() throws {
        var random = SplitMix64(seed: 0x5EED_F0D)
        for _ in 0..<5_000 {
            let value = ForwardedValueGenerator.header(using: &random)
            let expected = try #require(
                ForwardedReferenceParser.hops(in: value), "generated a malformed value: \(value)")
            let (hops, work) = Self.allHops(.forwarded, value)
            #expect(hops == expected.reversed(), "value: \(value)")
            #expect(work <= 2 * value.utf8.count, "value: \(value)")
        }
    }

    @Test("Whatever stands left of the hops walked is never read")
    func garbageOnTheLeft() throws {
        var random = SplitMix64(seed: 0xBAD_1EF7)
        for _ in 0..<5_000 {
            let garbage = ForwardedValueGenerator.garbage(using: &random)
            let suffix = ForwardedValueGenerator.header(using: &random)
            let expected = try #require(ForwardedReferenceParser.hops(in: suffix))
            var hops: [ForwardedHop] = []
            ForwardingHeaderParser.forEachHop(of: .forwarded, in: garbage + "," + suffix) { hop in
                hops.append(hop)
                return hops.count < expected.count
            }
            #expect(hops == expected.reversed(), "garbage: \(garbage) suffix: \(suffix)")

            // The property a proxy relies on: the element it appends names the client.
            let (client, _) = Self.resolve(.forwarded, garbage + ", for=203.0.113.9")
            #expect(client == "203.0.113.9", "garbage: \(garbage)")
            let (xffClient, _) = Self.resolve(.xForwardedFor, garbage + ", 203.0.113.9")
            #expect(xffClient == "203.0.113.9", "garbage: \(garbage)")
        }
    }

    @Test("Arbitrary bytes: each consumed once by the scanner and once by the node parser, no crash")
    func arbitraryBytes() {
        var random = SplitMix64(seed: 0xB17E5)
        for round in 0..<5_000 {
            // Raw bytes — NUL, CR, LF, DEL, invalid UTF-8 — and every few rounds a long run of one
            // byte (backslashes, quotes, commas) that a backwards parser might rescan.
            var bytes = (0..<ForwardedValueGenerator.int(300, using: &random)).map { _ in
                UInt8(truncatingIfNeeded: random.next())
            }
            if round % 4 == 0 {
                let run = [UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: ","), UInt8(ascii: ";")][round / 4 % 4]
                bytes += Array(repeating: run, count: 1_000) + Array("for=\"x".utf8)
            }
            bytes.withUnsafeBufferPointer { buffer in
                let xff = ForwardingHeaderParser.forEachXForwardedForHop(in: buffer) { _ in true }
                let forwarded = ForwardingHeaderParser.forEachForwardedHop(in: buffer) { _ in true }
                #expect(xff <= 2 * buffer.count && forwarded <= 2 * buffer.count)
            }
            let text = String(decoding: bytes, as: UTF8.self) // invalid UTF-8 repaired, as a String header is
            for header in TrustedProxies.ForwardingHeader.allCases {
                #expect(Self.allHops(header, text).work <= 2 * text.utf8.count)
            }
        }
    }

    @Test("Long quoted values: obfuscated ports name the address; overflowing text names none")
    func longQuotedValues() {
        let port = "_" + String(repeating: "a", count: 53)
        #expect(Self.resolve(.forwarded, "for=\"192.0.2.43:\(port)\"").client == "192.0.2.43")
        #expect(Self.resolve(.forwarded, "for=192.0.2.43:\(port)").client == nil) // a colon is no token byte
        #expect(Self.resolve(.xForwardedFor, "192.0.2.43:\(port)").client == "192.0.2.43")
        // Past the kept length (256 bytes) the value is consumed whole but names no address.
        let long = "_" + String(repeating: "a", count: 300)
        #expect(Self.resolve(.forwarded, "for=\"192.0.2.43:\(long)\"").client == nil)
        #expect(Self.resolve(.forwarded, "for=6.6.6.6, for=\"192.0.2.43:\(long)\";by=\"\(long)\\\"\"").client == nil)
        // Escapes straddling the kept length.
        let escaped = "for=\"" + String(repeating: "a", count: 63) + "\\\\\\\"\", for=203.0.113.9"
        #expect(Self.resolve(.forwarded, escaped).client == "203.0.113.9")
        #expect(ForwardedReferenceParser.hops(in: escaped)?.count == 2)
    }

    /// The reported attack: regional indicators ending in U+0600, which fuses with the comma the
    /// proxy appends into one `Character`. Parsed by `Character`, a 40 KB value took 363 ms and
    /// keyed the client as unidentified.
    @Test("A hostile X-Forwarded-For costs one read per byte and keys the proxy-appended client")
    func hostileGraphemes() {
        for count in [1_000, 10_000] {
            let hostile = String(repeating: "\u{1F1E6}", count: count) + "\u{0600}" // 4 bytes each: 40 KB
            // The client's text is never read: the work is at most two reads per byte of what the
            // proxies appended.
            for (clientText, appended) in [
                (hostile, ", 203.0.113.9"), (hostile, ", 203.0.113.9, 10.1.1.1"), ("\u{0600}", ", 203.0.113.9"),
            ] {
                let (client, work) = Self.resolve(.xForwardedFor, clientText + appended)
                #expect(client == "203.0.113.9")
                #expect(work <= 2 * appended.utf8.count)
            }
            let (client, work) = Self.resolve(.forwarded, hostile + ", for=203.0.113.9")
            #expect(client == "203.0.113.9")
            #expect(work <= 2 * ", for=203.0.113.9".utf8.count)

            // Walked whole (every hop trusted, then the hostile one): still linear.
            let chain = Array(repeating: "10.1.1.1", count: count).joined(separator: ", ")
            let whole = hostile + ", " + chain
            let (wholeClient, wholeWork) = Self.resolve(.xForwardedFor, whole)
            #expect(wholeClient == nil) // the hop that should name the client is not an address
            #expect(wholeWork <= 2 * whole.utf8.count)
            let quoted =
                "for=\"" + hostile + "\", " + Array(repeating: "for=10.1.1.1", count: count).joined(separator: ", ")
            let (quotedClient, quotedWork) = Self.resolve(.forwarded, quoted)
            #expect(quotedClient == nil)
            #expect(quotedWork <= 2 * quoted.utf8.count)
        }
    }
}

/// Random `Forwarded` values: well-formed ones from the grammar, and garbage from its alphabet.
enum ForwardedValueGenerator {
    static let nodes = [
        "203.0.113.9", "10.1.1.1", "\"198.51.100.4:8080\"", "\"[2001:db8::7]:443\"", "\"[2001:db8::7]\"", "unknown",
        "_hidden",
        "\"10.2.2.2:_port\"", "\"\\2\\0\\3.0.113.9\"", "\"2001:db8::7\"", "\"203.0.113.9\"", "\"10.1.1.1\"",
        "999.1.1.1",
    ]
    static let tokens = ["proto", "by", "host", "x", "FOR", "For", "a.b", "~!#$%&'*+-.^_`|"]
    static let alphabet: [String] = [
        "for", "=", ";", ",", " ", "\t", "\"", "\\", "[", "]", ":", "%", "\r\n", "_", "1", "10.1.1.1", "203.0.113.9",
        "\u{0600}", "\u{1F1E6}", "\u{200D}", "é", "by=", "for=\"", "\\\"", "::1",
    ]

    static func header(using random: inout SplitMix64) -> String {
        let elements = (0..<(1 + Self.int(4, using: &random))).map { _ in Self.element(using: &random) }
        let value = elements.joined(separator: Self.pick([",", ", ", " ,", ",,", " , ,\t"], using: &random))
        return Self.pick(["", "", ", ", ",,"], using: &random) + value + Self.pick(["", "", " ,", ","], using: &random)
    }

    static func element(using random: inout SplitMix64) -> String {
        var pairs: [String] = []
        var hasFor = false
        for _ in 0..<Self.int(4, using: &random) {
            if !hasFor, Self.int(2, using: &random) == 0 {
                hasFor = true
                pairs.append(
                    Self.pick(["for", "FOR", "For"], using: &random) + "=" + Self.pick(Self.nodes, using: &random))
            } else {
                pairs.append(
                    Self.pick(Self.tokens.filter { $0.lowercased() != "for" }, using: &random) + "="
                        + Self.value(using: &random))
            }
            if Self.int(5, using: &random) == 0 { pairs.append("") } // `;;`
        }
        let element = pairs.joined(separator: Self.pick([";", "; ", " ;", " ; "], using: &random))
        let leading = Self.pick(["", "", "", ";", "; ;"], using: &random) // empty pairs first
        return leading
            + (element.isEmpty
                ? Self.pick(["for=" + Self.pick(Self.nodes, using: &random), ";"], using: &random) : element)
    }

    /// A token or a quoted-string with escapes, separators, quotes and non-ASCII text inside.
    static func value(using random: inout SplitMix64) -> String {
        if Self.int(2, using: &random) == 0 { return Self.pick(Self.tokens, using: &random) }
        let parts = [
            "a", ",", ";", "=", " ", "\\\"", "\\\\", "\\a", "é", "\u{0600}", "\u{1F1E6}", "\t", "[::1]",
            String(repeating: "x", count: 60),
        ]
        let inner = (0..<Self.int(12, using: &random)).map { _ in Self.pick(parts, using: &random) }.joined()
        return "\"" + inner + "\""
    }

    static func garbage(using random: inout SplitMix64) -> String {
        (0..<Self.int(24, using: &random)).map { _ in Self.pick(Self.alphabet, using: &random) }.joined()
    }

    static func pick(_ choices: [String], using random: inout SplitMix64) -> String {
        choices[Self.int(choices.count, using: &random)]
    }

    /// A number in `0..<bound`.
    static func int(_ bound: Int, using random: inout SplitMix64) -> Int {
        Int(random.next(upperBound: UInt64(bound)))
    }
}
