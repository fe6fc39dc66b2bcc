/// One hop of a forwarding chain, as a proxy recorded it.
enum ForwardedHop: Hashable, Sendable {
    /// A hop that names an IP address.
    case address(IPAddress)
    /// A hop that names no usable address: `unknown`, an obfuscated identifier (RFC 7239 §6.3),
    /// or text that is not an address at all.
    case unusable
}

/// Parsers for `X-Forwarded-For` and RFC 7239 `Forwarded`, yielding hops right to left: the hop
/// nearest to this server first.
///
/// Both are strict about what counts as an address and tolerant of surrounding whitespace. Only
/// the hops up to the first untrusted one are ever looked at, so callers stop early; a huge
/// header costs at most one linear scan and no per-hop allocation for `X-Forwarded-For`.
enum ForwardingHeaderParser {
    // MARK: X-Forwarded-For

    /// Calls `body` with each hop of an `X-Forwarded-For` value, right to left, until it returns
    /// `false`. Empty list members (`a,,b`) are skipped, as RFC 9110 §5.6.1 asks of recipients.
    static func forEachXForwardedForHop(in value: String, _ body: (ForwardedHop) -> Bool) {
        var remaining = value[...]
        while !remaining.isEmpty {
            let element: Substring
            if let comma = remaining.lastIndex(of: ",") {
                element = remaining[remaining.index(after: comma)...]
                remaining = remaining[..<comma]
            } else {
                element = remaining
                remaining = remaining[remaining.endIndex...]
            }
            let trimmed = element.trimmingWhitespace()
            if trimmed.isEmpty { continue }
            if !body(Self.xForwardedForHop(trimmed)) { return }
        }
    }

    /// One `X-Forwarded-For` member: `192.0.2.7`, `192.0.2.7:5678`, `2001:db8::1`,
    /// `[2001:db8::1]` or `[2001:db8::1]:5678`. Ports, which some proxies append, are ignored.
    static func xForwardedForHop(_ text: Substring) -> ForwardedHop {
        if let address = IPAddress(text) {
            return .address(address)
        }
        if let address = Self.bracketedIPv6WithOptionalPort(text) ?? Self.ipv4WithPort(text) {
            return .address(address)
        }
        return .unusable
    }

    // MARK: Forwarded (RFC 7239)

    /// Parses a `Forwarded` value into the `for=` hop of each element, left to right.
    ///
    /// Returns `nil` when the value does not follow RFC 7239's grammar: then no hop in it can be
    /// trusted to be where its text says. An element without a `for` parameter, or with one that
    /// is not an address, yields ``ForwardedHop/unusable``.
    static func forwardedHops(in value: String) -> [ForwardedHop]? {
        var parser = ForwardedParser(Array(value.utf8))
        return parser.parse()
    }

    // MARK: Node syntax shared by both headers

    /// `[v6]` or `[v6]:port`.
    static func bracketedIPv6WithOptionalPort(_ text: Substring) -> IPAddress? {
        guard text.first == "[", let close = text.firstIndex(of: "]") else { return nil }
        let inner = text[text.index(after: text.startIndex)..<close]
        let rest = text[text.index(after: close)...]
        guard rest.isEmpty || Self.isPortSuffix(rest), let address = IPAddress(inner), !address.isIPv4 || inner.contains(":") else {
            return nil
        }
        return address
    }

    /// `a.b.c.d:port`.
    static func ipv4WithPort(_ text: Substring) -> IPAddress? {
        guard let colon = text.firstIndex(of: ":"), Self.isPortSuffix(text[colon...]),
            let address = IPAddress(text[..<colon]), address.isIPv4
        else { return nil }
        return address
    }

    /// `:` followed by a port, `0...65535` (RFC 7239 also allows an obfuscated port, `_abc`).
    static func isPortSuffix(_ text: Substring) -> Bool {
        guard text.first == ":" else { return false }
        let port = text.dropFirst()
        if port.first == "_" {
            return port.count > 1 && port.dropFirst().allSatisfy(Self.isObfuscatedCharacter)
        }
        guard (1...5).contains(port.count), port.allSatisfy(\.isASCIIDigit), let number = Int(port) else { return false }
        return number <= 65535
    }

    /// RFC 7239 §6: a `node` value — an IPv4 address, a bracketed IPv6 address, `unknown` or an
    /// obfuscated identifier, each optionally followed by a port.
    static func forwardedNode(_ text: Substring) -> ForwardedHop {
        if let address = Self.bracketedIPv6WithOptionalPort(text) {
            return .address(address)
        }
        let host = text.firstIndex(of: ":").map { text[..<$0] } ?? text
        if host.count < text.count, !Self.isPortSuffix(text[host.endIndex...]) {
            return .unusable
        }
        if let address = IPAddress(host), address.isIPv4 {
            return .address(address)
        }
        return .unusable
    }

    static func isObfuscatedCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isWholeNumber || "._-".contains(character))
    }
}

/// A byte-level parser for RFC 7239's `Forwarded` grammar:
///
/// ```
/// Forwarded         = 1#forwarded-element
/// forwarded-element = [ forwarded-pair ] *( ";" [ forwarded-pair ] )
/// forwarded-pair    = token "=" value
/// value             = token / quoted-string
/// ```
///
/// Optional whitespace is accepted around `,` and `;` as real proxies emit it.
private struct ForwardedParser {
    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func parse() -> [ForwardedHop]? {
        var hops: [ForwardedHop] = []
        var sawElement = false
        while true {
            self.skipWhitespace()
            if self.index == self.bytes.count { break }
            if self.bytes[self.index] == UInt8(ascii: ",") {
                // An empty list member.
                self.index += 1
                continue
            }
            guard let hop = self.parseElement() else { return nil }
            hops.append(hop)
            sawElement = true
            self.skipWhitespace()
            if self.index == self.bytes.count { break }
            guard self.bytes[self.index] == UInt8(ascii: ",") else { return nil }
            self.index += 1
        }
        return sawElement ? hops : nil
    }

    /// Parses pairs up to the next `,` or the end; returns the element's `for` hop.
    private mutating func parseElement() -> ForwardedHop? {
        var hop: ForwardedHop? = nil
        var sawFor = false
        while true {
            self.skipWhitespace()
            if self.index < self.bytes.count, self.bytes[self.index] != UInt8(ascii: ";"),
                self.bytes[self.index] != UInt8(ascii: ",")
            {
                guard let name = self.parseToken(), self.consume(UInt8(ascii: "=")),
                    let value = self.parseValue()
                else { return nil }
                if name.lowercased() == "for" {
                    // Two `for` parameters in one element make it ambiguous (RFC 7239 §4).
                    guard !sawFor else { return nil }
                    sawFor = true
                    hop = ForwardingHeaderParser.forwardedNode(value[...])
                }
            }
            self.skipWhitespace()
            guard self.consume(UInt8(ascii: ";")) else { break }
        }
        return hop ?? .unusable
    }

    private mutating func parseToken() -> String? {
        let start = self.index
        while self.index < self.bytes.count, Self.isTokenByte(self.bytes[self.index]) {
            self.index += 1
        }
        guard self.index > start else { return nil }
        return String(decoding: self.bytes[start..<self.index], as: UTF8.self)
    }

    private mutating func parseValue() -> String? {
        guard self.index < self.bytes.count else { return nil }
        if self.bytes[self.index] != UInt8(ascii: "\"") {
            return self.parseToken()
        }
        // quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE
        self.index += 1
        var value: [UInt8] = []
        while self.index < self.bytes.count {
            let byte = self.bytes[self.index]
            self.index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: value, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard self.index < self.bytes.count, Self.isQuotedPairByte(self.bytes[self.index]) else { return nil }
                value.append(self.bytes[self.index])
                self.index += 1
            case 0x09, 0x20, 0x21, 0x23...0x5B, 0x5D...0x7E, 0x80...0xFF:
                value.append(byte)
            default:
                return nil
            }
        }
        return nil  // unterminated
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        guard self.index < self.bytes.count, self.bytes[self.index] == byte else { return false }
        self.index += 1
        return true
    }

    private mutating func skipWhitespace() {
        while self.index < self.bytes.count, self.bytes[self.index] == 0x20 || self.bytes[self.index] == 0x09 {
            self.index += 1
        }
    }

    /// RFC 9110 `tchar`.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
            UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
            UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    private static func isQuotedPairByte(_ byte: UInt8) -> Bool {
        byte == 0x09 || (0x20...0x7E).contains(byte) || byte >= 0x80
    }
}

extension Substring {
    /// This text without leading and trailing spaces and tabs (HTTP's optional whitespace).
    func trimmingWhitespace() -> Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return text
    }
}
