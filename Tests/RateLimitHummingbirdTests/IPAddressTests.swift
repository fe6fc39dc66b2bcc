import NIOCore
import RateLimit
import RateLimitHummingbird
import Testing

@Suite("IP addresses and networks")
struct IPAddressTests {
    @Test(
        "Valid addresses parse and print canonically",
        arguments: [
            ("192.0.2.7", "192.0.2.7"),
            ("0.0.0.0", "0.0.0.0"),
            ("255.255.255.255", "255.255.255.255"),
            ("::", "::"),
            ("::1", "::1"),
            ("1::", "1::"),
            ("2001:DB8::1", "2001:db8::1"),
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"), // RFC 5952 §4.2.3: the first longest run
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"), // a single zero group stays
            ("fe80:0000:0000:0000:0204:61ff:fe9d:f156", "fe80::204:61ff:fe9d:f156"),
            ("::ffff:192.0.2.7", "192.0.2.7"), // IPv4-mapped is IPv4
            ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
            ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
        ]
    )
    func valid(text: String, canonical: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.description == canonical)
        #expect(IPAddress(canonical) == address)
    }

    @Test(
        "Anything else is rejected",
        arguments: [
            "", " ", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.-4", "+1.2.3.4", "1.2.3.4 ", "1..2.3",
            ":", ":::", "1:::2", "1::2::3", ":1::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::", "g::",
            "::1%eth0", "[::1]", "1:2:3:4:5:6:7::8:9", "::ffff:1.2.3", "::1.2.3.4:5", "unknown", "_hidden",
            "1:2:3:4:5:6:7:8::", String(repeating: "1", count: 1000),
        ]
    )
    func invalid(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test("Socket addresses convert without text")
    func socketAddresses() throws {
        #expect(IPAddress(try SocketAddress(ipAddress: "198.51.100.9", port: 80)) == IPAddress("198.51.100.9"))
        #expect(IPAddress(try SocketAddress(ipAddress: "2001:db8::9", port: 80)) == IPAddress("2001:db8::9"))
        #expect(IPAddress(try SocketAddress(ipAddress: "::ffff:198.51.100.9", port: 80))?.isIPv4 == true)
        #expect(IPAddress(try SocketAddress(unixDomainSocketPath: "/tmp/socket")) == nil)
    }

    @Test("CIDR blocks contain exactly their addresses")
    func networks() throws {
        let ten = try IPNetwork("10.0.0.0/8")
        #expect(ten.contains(IPAddress("10.255.255.255")!))
        #expect(ten.contains(IPAddress("::ffff:10.1.2.3")!))
        #expect(!ten.contains(IPAddress("11.0.0.0")!))
        #expect(!ten.contains(IPAddress("::a00:1")!)) // IPv4-compatible, not IPv4-mapped

        let documentation = try IPNetwork("2001:db8::/32")
        #expect(documentation.contains(IPAddress("2001:db8:ffff::1")!))
        #expect(!documentation.contains(IPAddress("2001:db9::1")!))

        let single = try IPNetwork("192.0.2.7")
        #expect(single.prefixLength == 32)
        #expect(single.contains(IPAddress("192.0.2.7")!))
        #expect(!single.contains(IPAddress("192.0.2.8")!))

        let everything = try IPNetwork("0.0.0.0/0")
        #expect(everything.contains(IPAddress("203.0.113.1")!))
        #expect(!everything.contains(IPAddress("2001:db8::1")!))
        #expect(try IPNetwork("::/0").contains(IPAddress("2001:db8::1")!))
        #expect(try IPNetwork("fe80::/10").description == "fe80::/10")
        #expect(try IPNetwork("::1").description == "::1/128")
    }

    @Test(
        "Invalid CIDR blocks fail with the value and the accepted forms",
        arguments: [
            ("10.0.0.1/8", "host bits are set beyond /8; did you mean 10.0.0.0/8?"),
            ("2001:db8::1/32", "did you mean 2001:db8::/32?"),
            ("10.0.0.0/33", "the prefix length must be in 0...32"),
            ("::/129", "the prefix length must be in 0...128"),
            ("10.0.0.0/", "the prefix length must be in 0...32"),
            ("10.0.0.0/+8", "the prefix length must be in 0...32"),
            ("10.0.0.0/8/8", "the prefix length must be in 0...32"),
            ("localhost", "not an IP address"),
            ("", "not an IP address"),
        ]
    )
    func invalidNetworks(text: String, reason: String) {
        #expect {
            try IPNetwork(text)
        } throws: { error in
            guard let error = error as? RateLimitError else { return false }
            return error.code == .invalidConfiguration
                && error.message.hasPrefix("invalid IP network \"\(text)\": ")
                && error.message.contains(reason)
                && error.message.hasSuffix(
                    "expected an IPv4 or IPv6 address or CIDR block such as 10.0.0.0/8, 192.0.2.7, 2001:db8::/32 or ::1"
                )
        }
    }

    @Test(
        "IPv6 forms that embed an IPv4 client stand for that client",
        arguments: [
            ("::ffff:192.0.2.7", "192.0.2.7"), // IPv4-mapped
            ("::192.0.2.7", "192.0.2.7"), // IPv4-compatible (deprecated)
            ("::ffff:0:192.0.2.7", "192.0.2.7"), // IPv4-translated (SIIT)
            ("64:ff9b::192.0.2.7", "192.0.2.7"), // NAT64 well-known prefix
            ("64:ff9b::c000:207", "192.0.2.7"), // the same, written in hex
            ("192.0.2.7", "192.0.2.7"),
        ]
    )
    func embeddedIPv4(text: String, client: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.embeddedIPv4?.description == client)
    }

    @Test(
        "Other IPv6 addresses embed no IPv4 client",
        arguments: [
            "::", "::1", "::0.255.255.255", "2001:db8::192.0.2.7", "64:ff9b:1::192.0.2.7", "64:ff9b::1:192.0.2.7",
            "::fffe:192.0.2.7", "::1:ffff:0:192.0.2.7", "2002:c000:207::1", "2001::1",
            // "This network" and loopback are no client, in any form.
            "64:ff9b::", "64:ff9b::7f00:1", "::127.0.0.1", "::ffff:0:0.0.0.0", "::ffff:0:127.0.0.1",
        ]
    )
    func noEmbeddedIPv4(text: String) throws {
        #expect(try #require(IPAddress(text)).embeddedIPv4 == nil)
    }
}
