@testable import RateLimitHummingbird

/// A left-to-right parser of a whole RFC 7239 `Forwarded` value — the obvious reading of the
/// grammar — that the right-to-left parser must agree with on every well-formed value.
///
/// ```
/// Forwarded         = 1#forwarded-element
/// forwarded-element = [ forwarded-pair ] *( ";" [ forwarded-pair ] )
/// forwarded-pair    = token "=" value
/// value             = token / quoted-string
/// ```
struct ForwardedReferenceParser {
    private let bytes: [UInt8]
    private var index = 0

    /// The `for` hop of each element, left to right; `nil` when any part is malformed.
    static func hops(in value: String) -> [ForwardedHop]? {
        var parser = Self(bytes: Array(value.utf8))
        return parser.parse()
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private mutating func parse() -> [ForwardedHop]? {
        var hops: [ForwardedHop] = []
        while true {
            self.skipWhitespace()
            if self.index == self.bytes.count { break }
            if self.consume(UInt8(ascii: ",")) { continue } // an empty list member
            guard let hop = self.parseElement() else { return nil }
            hops.append(hop)
            self.skipWhitespace()
            if self.index == self.bytes.count { break }
            guard self.consume(UInt8(ascii: ",")) else { return nil }
        }
        return hops.isEmpty ? nil : hops
    }

    private mutating func parseElement() -> ForwardedHop? {
        var hop: ForwardedHop? = nil
        while true {
            self.skipWhitespace()
            if self.index < self.bytes.count, self.bytes[self.index] != UInt8(ascii: ";"),
                self.bytes[self.index] != UInt8(ascii: ",")
            {
                guard let name = self.parseToken(), self.consume(UInt8(ascii: "=")), let value = self.parseValue()
                else { return nil }
                if name.lowercased() == "for" {
                    guard hop == nil else { return nil }
                    hop = value.withUnsafeBufferPointer(ForwardingHeaderParser.forwardedNode)
                }
            }
            self.skipWhitespace()
            guard self.consume(UInt8(ascii: ";")) else { break }
        }
        return hop ?? .unusable
    }

    private mutating func parseToken() -> String? {
        let start = self.index
        while self.index < self.bytes.count, Self.isTokenByte(self.bytes[self.index]) { self.index += 1 }
        guard self.index > start else { return nil }
        return String(decoding: self.bytes[start..<self.index], as: UTF8.self)
    }

    private mutating func parseValue() -> [UInt8]? {
        guard self.index < self.bytes.count else { return nil }
        guard self.consume(UInt8(ascii: "\"")) else { return self.parseToken().map { Array($0.utf8) } }
        var value: [UInt8] = []
        while self.index < self.bytes.count {
            let byte = self.bytes[self.index]
            self.index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return value
            case UInt8(ascii: "\\"):
                guard self.index < self.bytes.count, Self.isQuotedTextByte(self.bytes[self.index]) else { return nil }
                value.append(self.bytes[self.index])
                self.index += 1
            case _ where Self.isQuotedTextByte(byte):
                value.append(byte)
            default:
                return nil
            }
        }
        return nil // unterminated
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

    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }

    static func isQuotedTextByte(_ byte: UInt8) -> Bool {
        byte == 0x09 || (0x20...0x7E).contains(byte) || byte >= 0x80
    }
}
