/// One hop of a forwarding chain, as a proxy recorded it.
enum ForwardedHop: Hashable, Sendable {
    /// A hop that names an IP address.
    case address(IPAddress)
    /// A hop that names no usable address: `unknown`, an obfuscated identifier (RFC 7239 §6.3),
    /// text that is not an address at all, or an element that breaks the header's grammar.
    case unusable
}

/// Parsers for `X-Forwarded-For` and RFC 7239 `Forwarded` that yield hops right to left: the
/// hop nearest to this server first.
///
/// Both work on the value's UTF-8 bytes, never on `Character`s: grapheme clustering would let a
/// client fuse its text with the comma a proxy appends (U+0600 followed by `,` is one
/// `Character`) and would make each step from the right cost a scan of the whole value. Bytes
/// are consumed right to left by a ``ReverseByteScanner`` and the walk stops at the first hop the
/// caller does not trust, so whatever stands left of it — well- or ill-formed — is never read.
///
/// - Complexity: O(*n*) in the bytes of the value, with no allocation: the scanner consumes each
///   byte once, and each hop's bytes are handed once to the node parser, which makes a constant
///   number of passes over them (an address parse reads at most 45 bytes). The returned work is
///   bytes consumed plus bytes handed over: at most 2*n*.
enum ForwardingHeaderParser {
    typealias Bytes = UnsafeBufferPointer<UInt8>

    /// The longest quoted `Forwarded` node whose unescaped text is kept: an address with an
    /// obfuscated port of up to 200 characters. Longer quoted text is consumed but names no
    /// address.
    static let maximumQuotedNodeLength = 256

    /// Calls `body` with each hop of `value`, right to left, until it returns `false`.
    ///
    /// - Returns: The work done: bytes consumed by the scanner plus bytes handed to the node
    ///   parser, at most twice the value's length.
    @discardableResult
    static func forEachHop(
        of header: TrustedProxies.ForwardingHeader,
        in value: String,
        _ body: (ForwardedHop) -> Bool
    ) -> Int {
        var value = value // a native header string: `withUTF8` does not copy it
        return value.withUTF8 { bytes in
            switch header {
            case .xForwardedFor: Self.forEachXForwardedForHop(in: bytes, body)
            case .forwarded: Self.forEachForwardedHop(in: bytes, body)
            }
        }
    }

    // MARK: X-Forwarded-For

    /// `X-Forwarded-For`: comma-separated nodes. Empty list members (`a,,b`) are skipped, as
    /// RFC 9110 §5.6.1 asks of recipients.
    static func forEachXForwardedForHop(in bytes: Bytes, _ body: (ForwardedHop) -> Bool) -> Int {
        var scanner = ReverseByteScanner(bytes)
        var nodeWork = 0
        while !scanner.isAtStart {
            scanner.skipWhitespace()
            let end = scanner.position
            // The member's first byte that is not whitespace, found on the way left.
            var start = end
            while let byte = scanner.next, byte != UInt8(ascii: ",") {
                _ = scanner.pop()
                if !ReverseByteScanner.isWhitespace(byte) { start = scanner.position }
            }
            _ = scanner.pop(UInt8(ascii: ","))
            guard start < end else { continue }
            let member = scanner.bytes(in: start..<end)
            nodeWork += member.count
            if !body(Self.xForwardedForHop(member)) { break }
        }
        return scanner.bytesRead + nodeWork
    }

    /// One `X-Forwarded-For` member: `192.0.2.7`, `192.0.2.7:5678`, `2001:db8::1`,
    /// `[2001:db8::1]` or `[2001:db8::1]:5678`. Ports, which some proxies append, are ignored.
    static func xForwardedForHop(_ text: Bytes) -> ForwardedHop {
        guard let address = IPAddress.parse(text) ?? Self.bracketedIPv6WithOptionalPort(text) ?? Self.ipv4WithPort(text)
        else { return .unusable }
        return .address(address)
    }

    // MARK: Node syntax shared by both headers

    /// RFC 7239 §6: a `node` — an IPv4 address, a bracketed IPv6 address, `unknown` or an
    /// obfuscated identifier, each optionally followed by a port.
    static func forwardedNode(_ text: Bytes) -> ForwardedHop {
        if let address = Self.bracketedIPv6WithOptionalPort(text) {
            return .address(address)
        }
        var host = text
        if let colon = text.firstIndex(of: UInt8(ascii: ":")) {
            guard Self.isPortSuffix(Bytes(rebasing: text[colon...])) else { return .unusable }
            host = Bytes(rebasing: text[..<colon])
        }
        guard let bits = IPAddress.parseIPv4(host[...]) else { return .unusable }
        return .address(IPAddress(ipv4: bits))
    }

    /// `[v6]` or `[v6]:port`.
    static func bracketedIPv6WithOptionalPort(_ text: Bytes) -> IPAddress? {
        guard text.first == UInt8(ascii: "["), let close = text.firstIndex(of: UInt8(ascii: "]")) else { return nil }
        let inner = Bytes(rebasing: text[1..<close])
        let rest = Bytes(rebasing: text[(close + 1)...])
        // `[192.0.2.7]` is not an IPv6 address; `[::ffff:192.0.2.7]` is.
        guard rest.isEmpty || Self.isPortSuffix(rest), inner.contains(UInt8(ascii: ":")) else { return nil }
        return IPAddress.parse(inner)
    }

    /// `a.b.c.d:port`.
    static func ipv4WithPort(_ text: Bytes) -> IPAddress? {
        guard let colon = text.firstIndex(of: UInt8(ascii: ":")), Self.isPortSuffix(Bytes(rebasing: text[colon...])),
            let bits = IPAddress.parseIPv4(text[..<colon])
        else { return nil }
        return IPAddress(ipv4: bits)
    }

    /// `:` followed by a port, `0...65535`, or an obfuscated port, `_abc` (RFC 7239 §6.3).
    static func isPortSuffix(_ text: Bytes) -> Bool {
        guard text.count >= 2, text[0] == UInt8(ascii: ":") else { return false }
        let port = text[1...]
        if port.first == UInt8(ascii: "_") {
            return port.count > 1 && port.dropFirst().allSatisfy(Self.isObfuscatedByte)
        }
        guard port.count <= 5 else { return false }
        var number = 0
        for byte in port {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return false }
            number = number * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return number <= 65535
    }

    /// RFC 7239 §6.3 `obfchar`: ALPHA / DIGIT / "." / "_" / "-".
    static func isObfuscatedByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }
}
