public import RateLimit

/// A block of IP addresses in CIDR notation: `10.0.0.0/8`, `2001:db8::/32`, or a single
/// address (`127.0.0.1`, `::1`).
///
/// Parsing is strict: a network whose address has bits set beyond the prefix (`10.0.0.1/8`) is
/// rejected rather than silently widened, because such a typo usually means the author meant a
/// different network.
///
/// ```swift
/// let loopback = try IPNetwork("127.0.0.0/8")
/// loopback.contains(IPAddress("127.0.0.1")!) // true
/// ```
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    /// The first address of the block.
    public let address: IPAddress
    /// The number of leading bits that every address of the block shares: `0...32` for IPv4,
    /// `0...128` for IPv6.
    public let prefixLength: Int

    /// The prefix length over the 128-bit (IPv4-mapped) representation.
    let storedPrefixLength: Int

    /// The accepted forms, quoted in every error message.
    static let allowedForm = "an IPv4 or IPv6 address or CIDR block such as 10.0.0.0/8, 192.0.2.7, 2001:db8::/32 or ::1"

    /// Parses CIDR notation or a single address.
    ///
    /// - Throws: `RateLimitError` with code
    ///   `RateLimitError.Code.invalidConfiguration` naming the value and the accepted
    ///   forms, for malformed text, a prefix length out of range, or an address with host bits
    ///   set.
    public init(_ text: String) throws(RateLimitError) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else {
            throw Self.invalid(text, "not an IP address")
        }
        let maximumPrefix = address.isIPv4 ? 32 : 128
        var prefixLength = maximumPrefix
        if parts.count == 2 {
            // Digits only: Int("+8") would accept a sign.
            guard !parts[1].isEmpty, parts[1].count <= 3, parts[1].allSatisfy(\.isASCIIDigit),
                let parsed = Int(parts[1]), parsed <= maximumPrefix
            else {
                throw Self.invalid(text, "the prefix length must be in 0...\(maximumPrefix)")
            }
            prefixLength = parsed
        }
        let network = IPNetwork(uncheckedAddress: address, prefixLength: prefixLength)
        guard network.address == address else {
            throw Self.invalid(text, "host bits are set beyond /\(prefixLength); did you mean \(network)?")
        }
        self = network
    }

    /// Creates the network of `prefixLength` leading bits of `address`, clearing the rest.
    private init(uncheckedAddress address: IPAddress, prefixLength: Int) {
        self.prefixLength = prefixLength
        self.storedPrefixLength = address.isIPv4 ? 96 + prefixLength : prefixLength
        self.address = address.masked(toPrefixLength: self.storedPrefixLength)
    }

    /// Whether `address` lies in this block. IPv4 blocks contain IPv4-mapped IPv6 addresses of
    /// the same range, since both are the same ``IPAddress``.
    public func contains(_ address: IPAddress) -> Bool {
        address.masked(toPrefixLength: self.storedPrefixLength) == self.address
    }

    /// CIDR notation, such as `10.0.0.0/8`.
    public var description: String {
        "\(self.address)/\(self.prefixLength)"
    }

    private static func invalid(_ text: String, _ reason: String) -> RateLimitError {
        RateLimitError(
            code: .invalidConfiguration,
            message: "invalid IP network \"\(text.prefix(64))\": \(reason); expected \(Self.allowedForm)"
        )
    }
}

extension Character {
    /// Whether this is one of the ASCII digits `0`–`9` (`Character.isNumber` also accepts `٣`).
    var isASCIIDigit: Bool {
        self.isASCII && self.isWholeNumber
    }
}
