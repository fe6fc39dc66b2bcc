extension ForwardingHeaderParser {
    /// RFC 7239 `Forwarded`, read right to left:
    ///
    /// ```
    /// Forwarded         = 1#forwarded-element
    /// forwarded-element = [ forwarded-pair ] *( ";" [ forwarded-pair ] )
    /// forwarded-pair    = token "=" value
    /// value             = token / quoted-string
    /// ```
    ///
    /// Each element yields its `for` hop. An element that breaks the grammar, or names `for`
    /// twice (ambiguous, RFC 7239 §4), yields ``ForwardedHop/unusable`` and ends the walk: its
    /// left edge cannot be trusted, but nothing left of it is needed either — the hop it stands
    /// for was the one that had to name the client. A value that lists no element at all is
    /// malformed and yields one unusable hop. Optional whitespace is accepted around `,` and
    /// `;`, as real proxies emit it.
    static func forEachForwardedHop(in bytes: Bytes, _ body: (ForwardedHop) -> Bool) -> Int {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.maximumQuotedNodeLength) { buffer in
            var parser = ReverseForwardedParser(scanner: ReverseByteScanner(bytes), quotedText: buffer)
            return parser.walk(body)
        }
    }
}

/// The right-to-left `Forwarded` parser. It consumes each byte once; a quoted value's unescaped
/// text is kept (reversed into a fixed buffer) only up to
/// ``ForwardingHeaderParser/maximumQuotedNodeLength`` bytes.
private struct ReverseForwardedParser {
    /// A pair's value: its text (unescaped when quoted), or `nil` when too long to be a node.
    private typealias Value = ForwardingHeaderParser.Bytes?

    private var scanner: ReverseByteScanner
    private let quotedText: UnsafeMutableBufferPointer<UInt8>
    private var nodeWork = 0

    init(scanner: ReverseByteScanner, quotedText: UnsafeMutableBufferPointer<UInt8>) {
        self.scanner = scanner
        self.quotedText = quotedText
    }

    mutating func walk(_ body: (ForwardedHop) -> Bool) -> Int {
        var sawElement = false
        while true {
            self.scanner.skipWhitespace()
            guard let next = self.scanner.next else { break }
            if next == UInt8(ascii: ",") {
                _ = self.scanner.pop() // an empty list member
                continue
            }
            sawElement = true
            guard let hop = self.element() else {
                _ = body(.unusable)
                break
            }
            if !body(hop) { break }
        }
        if !sawElement { _ = body(.unusable) }
        return self.scanner.bytesRead + self.nodeWork
    }

    /// Reads pairs back to the element's leading `,` (left unread) or the value's start;
    /// returns the element's `for` hop, or `nil` when the element is malformed.
    private mutating func element() -> ForwardedHop? {
        var hop: ForwardedHop? = nil
        while true {
            self.scanner.skipWhitespace()
            guard let next = self.scanner.next, next != UInt8(ascii: ",") else { break }
            if self.scanner.pop(UInt8(ascii: ";")) { continue } // an empty pair
            guard let value = self.value(), self.scanner.pop(UInt8(ascii: "=")), let isFor = self.nameIsFor() else {
                return nil
            }
            if isFor {
                guard hop == nil else { return nil } // two `for` parameters: ambiguous
                hop = self.node(value)
            }
            self.scanner.skipWhitespace()
            guard let separator = self.scanner.next, separator != UInt8(ascii: ",") else { break }
            guard self.scanner.pop(UInt8(ascii: ";")) else { return nil }
        }
        return hop ?? .unusable
    }

    private mutating func node(_ value: Value) -> ForwardedHop {
        guard let value else { return .unusable }
        self.nodeWork += value.count
        return ForwardingHeaderParser.forwardedNode(value)
    }

    /// A pair's name, which must be a token; whether it is `for` (names are case-insensitive).
    private mutating func nameIsFor() -> Bool? {
        let end = self.scanner.position
        let length = self.scanner.skip(while: Self.isTokenByte)
        guard length > 0 else { return nil }
        let name = self.scanner.bytes(in: self.scanner.position..<end)
        return length == 3 && name[0] | 0x20 == UInt8(ascii: "f") && name[1] | 0x20 == UInt8(ascii: "o")
            && name[2] | 0x20 == UInt8(ascii: "r")
    }

    /// A token or quoted-string value, read from its right end; `nil` (the outer optional) when
    /// malformed.
    private mutating func value() -> Value? {
        guard self.scanner.pop(UInt8(ascii: "\"")) else {
            let end = self.scanner.position
            guard self.scanner.skip(while: Self.isTokenByte) > 0 else { return nil }
            return .some(self.scanner.bytes(in: self.scanner.position..<end))
        }
        return self.quotedString()
    }

    /// `quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE`, its closing quote already read.
    ///
    /// Read from the right, a byte's escape shows only after it: the run of backslashes before
    /// it. A run of *k* stands for *k*/2 escaped backslashes (rounded down), plus — when *k* is
    /// odd — the escape of the byte itself. So a `"` after an even run closes the string (the
    /// opening quote when the run is empty; malformed otherwise, as a left-to-right reader would
    /// have ended the string there), and a `"` after an odd run is text. For every well-formed
    /// value this reads exactly what a left-to-right parser reads.
    private mutating func quotedString() -> Value? {
        let text = self.quotedText
        var length = 0
        var tooLong = false
        func prepend(_ byte: UInt8, count: Int = 1) {
            for _ in 0..<count {
                guard length < text.count else {
                    tooLong = true
                    return
                }
                length += 1
                text[text.count - length] = byte
            }
        }
        // Backslashes before the closing quote: escaped pairs, or the quote itself is escaped.
        var run = self.scanner.skip(while: { $0 == UInt8(ascii: "\\") })
        guard run % 2 == 0 else { return nil }
        prepend(UInt8(ascii: "\\"), count: run / 2)
        while true {
            guard let byte = self.scanner.pop() else { return nil } // unterminated
            run = self.scanner.skip(while: { $0 == UInt8(ascii: "\\") })
            if byte == UInt8(ascii: "\"") {
                if run == 0 { break } // the opening quote
                guard run % 2 == 1 else { return nil }
            } else {
                guard Self.isQuotedTextByte(byte) else { return nil }
            }
            prepend(byte)
            prepend(UInt8(ascii: "\\"), count: run / 2)
        }
        if tooLong { return .some(nil) }
        return .some(UnsafeBufferPointer(rebasing: text[(text.count - length)...]))
    }

    /// RFC 9110 `tchar`.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"),
            UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"),
            UInt8(ascii: "_"),
            UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    /// `qdtext` and the escaped byte of a `quoted-pair`: HTAB, SP, VCHAR, obs-text.
    private static func isQuotedTextByte(_ byte: UInt8) -> Bool {
        byte == 0x09 || (0x20...0x7E).contains(byte) || byte >= 0x80
    }
}
