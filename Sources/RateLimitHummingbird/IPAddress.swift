public import NIOCore
import RateLimit

/// An IPv4 or IPv6 address, compact enough to be a rate-limit key without allocating.
///
/// IPv4 addresses are stored as IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`, RFC 4291
/// §2.5.5.2), so that a client reaching a dual-stack listener as `::ffff:192.0.2.7` and the same
/// client reaching an IPv4 listener as `192.0.2.7` are one client, and one network test covers
/// both families.
///
/// ```swift
/// let address = IPAddress("2001:db8::1")!
/// print(address)              // 2001:db8::1
/// print(IPAddress("::ffff:192.0.2.7")!) // 192.0.2.7
/// ```
public struct IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The upper 64 bits of the 128-bit (IPv6 or IPv4-mapped) address.
    let high: UInt64
    /// The lower 64 bits of the 128-bit (IPv6 or IPv4-mapped) address.
    let low: UInt64

    /// The longest textual address accepted: an IPv6 address with an embedded IPv4 address,
    /// `ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255`. Longer input is rejected before any
    /// parsing work, which bounds the cost of hostile header values.
    static let maximumTextLength = 45

    private static let ipv4MappedPrefix: UInt64 = 0xffff_0000_0000

    /// Creates an address from its 128 bits, most significant first.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Creates an IPv4 address from its 32 bits in host byte order (`0xC000_0207` is
    /// `192.0.2.7`).
    public init(ipv4 bits: UInt32) {
        self.init(high: 0, low: Self.ipv4MappedPrefix | UInt64(bits))
    }

    /// Parses an IPv4 address in dotted-decimal form (`192.0.2.7`) or an IPv6 address in any
    /// RFC 4291 text form (`2001:db8::1`, `::ffff:192.0.2.7`).
    ///
    /// Returns `nil` for anything else, including brackets, ports, zone identifiers (`%eth0`)
    /// and IPv4 octets with leading zeros (`010.0.0.1`, ambiguous between decimal and octal).
    public init?(_ text: some StringProtocol) {
        // Header values are native strings: parse them in place, without a copy.
        let parsed =
            text.utf8.withContiguousStorageIfAvailable(Self.parse)
            ?? {
                var copy = String(text)
                return copy.withUTF8(Self.parse)
            }()
        guard let parsed else { return nil }
        self = parsed
    }

    /// Parses the UTF-8 text of an IPv4 or IPv6 address, as ``init(_:)`` does.
    ///
    /// - Complexity: O(1): text longer than ``maximumTextLength`` is rejected unread.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> IPAddress? {
        guard bytes.count <= Self.maximumTextLength else { return nil }
        if bytes.contains(UInt8(ascii: ":")) {
            return Self.parseIPv6(bytes)
        }
        return Self.parseIPv4(bytes[...]).map(IPAddress.init(ipv4:))
    }

    /// Creates the address of an IP socket address; `nil` for a Unix domain socket.
    public init?(_ socketAddress: SocketAddress) {
        switch socketAddress {
        case .v4(let address):
            self.init(ipv4: UInt32(bigEndian: address.address.sin_addr.s_addr))
        case .v6(let address):
            var bytes = address.address.sin6_addr
            let (high, low) = withUnsafeBytes(of: &bytes) { raw in
                (
                    UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
                    UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
                )
            }
            self.init(high: high, low: low)
        case .unixDomainSocket:
            return nil
        }
    }

    /// Whether this is an IPv4 address (stored as IPv4-mapped IPv6).
    public var isIPv4: Bool {
        self.high == 0 && self.low >> 32 == 0xffff
    }

    /// The 32 bits of an IPv4 address in host byte order; `nil` for an IPv6 address.
    public var ipv4Bits: UInt32? {
        self.isIPv4 ? UInt32(truncatingIfNeeded: self.low) : nil
    }

    /// This address with all but the first `prefixLength` of its 128 bits cleared.
    ///
    /// - Precondition: `prefixLength` is in `0...128`; callers validate user input first.
    func masked(toPrefixLength prefixLength: Int) -> IPAddress {
        let (highMask, lowMask) = Self.mask(prefixLength: prefixLength)
        return IPAddress(high: self.high & highMask, low: self.low & lowMask)
    }

    /// The 128-bit mask of `prefixLength` leading ones, as two 64-bit halves.
    static func mask(prefixLength: Int) -> (high: UInt64, low: UInt64) {
        switch prefixLength {
        case ...0: (0, 0)
        case 1...64: (~0 << (64 - prefixLength), 0)
        case 65..<128: (~0, ~0 << (128 - prefixLength))
        default: (~0, ~0)
        }
    }

    /// Orders addresses numerically, IPv4 (as IPv4-mapped) among IPv6.
    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    /// Dotted decimal for IPv4; the RFC 5952 canonical form for IPv6 (lower case, the longest
    /// run of two or more zero groups compressed to `::`).
    public var description: String {
        if let bits = self.ipv4Bits {
            return "\(bits >> 24).\(bits >> 16 & 0xff).\(bits >> 8 & 0xff).\(bits & 0xff)"
        }
        let groups = (0..<8).map { index -> UInt16 in
            let half = index < 4 ? self.high : self.low
            return UInt16(truncatingIfNeeded: half >> (48 - 16 * UInt64(index % 4)))
        }
        // Find the longest run of zero groups; RFC 5952 §4.2.2 forbids compressing a single one.
        var bestStart = -1
        var bestLength = 1
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else {
                index += 1
                continue
            }
            var end = index
            while end < 8, groups[end] == 0 { end += 1 }
            if end - index > bestLength {
                bestStart = index
                bestLength = end - index
            }
            index = end
        }
        func hex(_ range: Range<Int>) -> String {
            groups[range].map { String($0, radix: 16) }.joined(separator: ":")
        }
        guard bestStart >= 0 else { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }

    // MARK: Parsing

    /// Parses `a.b.c.d`: exactly four decimal octets, no leading zeros, no signs or spaces.
    static func parseIPv4(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> UInt32? {
        var result: UInt32 = 0
        var octets = 0
        var value: UInt32 = 0
        var digits = 0
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                // A leading zero followed by more digits is ambiguous (octal in inet_aton).
                if digits == 1, value == 0 { return nil }
                value = value * 10 + UInt32(byte - UInt8(ascii: "0"))
                digits += 1
                if value > 255 { return nil }
            case UInt8(ascii: "."):
                guard digits > 0, octets < 3 else { return nil }
                result = result << 8 | value
                octets += 1
                value = 0
                digits = 0
            default:
                return nil
            }
        }
        guard digits > 0, octets == 3 else { return nil }
        return result << 8 | value
    }

    /// Parses the RFC 4291 §2.2 text forms of an IPv6 address.
    ///
    /// - Complexity: O(*n*), one pass, no allocation: groups are shifted into two 128-bit words,
    ///   those before a `::` and those after it.
    static func parseIPv6(_ bytes: UnsafeBufferPointer<UInt8>) -> IPAddress? {
        var head: UInt128 = 0 // the groups before "::", once one is seen
        var groups: UInt128 = 0 // the groups since the start or the "::"
        var count = 0
        var compressionIndex: Int? = nil
        var index = 0
        let end = bytes.count
        guard end >= 2 else { return nil }

        // A leading "::" compresses from the start; a single leading ":" is invalid.
        if bytes[0] == UInt8(ascii: ":") {
            guard bytes[1] == UInt8(ascii: ":") else { return nil }
            compressionIndex = 0
            index = 2
            if index == end { return IPAddress(high: 0, low: 0) }
        }

        while index < end {
            guard count < 8 else { return nil }
            // Scan one group: hex digits up to ':' or the end, or an embedded IPv4 tail.
            let groupStart = index
            var value: UInt32 = 0
            while index < end, let digit = bytes[index].asciiHexDigitValue {
                value = value << 4 | UInt32(digit)
                index += 1
                if index - groupStart > 4 { return nil }
            }
            if index < end, bytes[index] == UInt8(ascii: ".") {
                // An IPv4 tail takes the last two groups.
                guard count <= 6,
                    let bits = Self.parseIPv4(bytes[groupStart..<end])
                else { return nil }
                groups = groups << 32 | UInt128(bits)
                count += 2
                index = end
                break
            }
            guard index > groupStart else { return nil }
            groups = groups << 16 | UInt128(value)
            count += 1
            if index == end { break }
            guard bytes[index] == UInt8(ascii: ":") else { return nil }
            index += 1
            if index < end, bytes[index] == UInt8(ascii: ":") {
                guard compressionIndex == nil else { return nil }
                compressionIndex = count
                head = groups
                groups = 0
                index += 1
                if index == end { break }
            } else if index == end {
                // A trailing single ':' is invalid.
                return nil
            }
        }

        if let compressionIndex {
            // "::" stands for at least one zero group: the groups before it move to the top.
            guard count < 8 else { return nil }
            groups |= head << (16 * (8 - compressionIndex))
        } else {
            guard count == 8 else { return nil }
        }
        return IPAddress(high: UInt64(groups >> 64), low: UInt64(truncatingIfNeeded: groups))
    }
}
