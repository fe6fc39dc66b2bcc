/// Consumes a buffer's bytes from its end towards its start, each byte at most once.
///
/// Forwarding headers are read right to left, the hop nearest to this server first. The scanner
/// only ever moves left, so a walk over a header consumes each byte at most once however hostile
/// the text (and looks at each a constant number of times); ``bytesRead`` counts the bytes
/// consumed, the work that tests bound instead of timing the parser.
struct ReverseByteScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    /// The bytes before this index are unread.
    private(set) var position: Int

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        self.position = bytes.count
    }

    /// How many bytes the scanner has consumed.
    var bytesRead: Int { self.bytes.count - self.position }

    var isAtStart: Bool { self.position == 0 }

    /// The next byte to the left, without reading it.
    var next: UInt8? {
        self.position > 0 ? self.bytes[self.position - 1] : nil
    }

    /// Reads the next byte to the left.
    mutating func pop() -> UInt8? {
        guard self.position > 0 else { return nil }
        self.position -= 1
        return self.bytes[self.position]
    }

    /// Reads `byte` if it is next.
    mutating func pop(_ byte: UInt8) -> Bool {
        guard self.next == byte else { return false }
        self.position -= 1
        return true
    }

    /// Reads bytes while `predicate` holds; returns how many.
    @discardableResult
    mutating func skip(while predicate: (UInt8) -> Bool) -> Int {
        let start = self.position
        while self.position > 0, predicate(self.bytes[self.position - 1]) {
            self.position -= 1
        }
        return start - self.position
    }

    /// Reads optional whitespace (spaces and tabs, RFC 9110 `OWS`).
    mutating func skipWhitespace() {
        self.skip(while: Self.isWhitespace)
    }

    /// The bytes in `range`, which the scanner has read.
    func bytes(in range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: self.bytes[range])
    }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09
    }
}
