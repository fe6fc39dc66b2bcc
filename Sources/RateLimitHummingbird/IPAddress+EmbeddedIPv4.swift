extension IPAddress {
    /// The IPv4 client that this IPv6 address stands for, when it embeds one; the address itself
    /// for an IPv4 address; `nil` for any other IPv6 address.
    ///
    /// A translator or dual-stack socket writes an IPv4 client's address into an IPv6 one. Keyed
    /// by its /64 like a native IPv6 address, every IPv4 client behind one NAT64 gateway would
    /// share a bucket, so the client key uses the embedded IPv4 address (/32) instead:
    ///
    /// | Form | Example | Standard |
    /// |---|---|---|
    /// | IPv4-mapped | `::ffff:192.0.2.7` | RFC 4291 §2.5.5.2 (stored as IPv4 already) |
    /// | IPv4-compatible (deprecated) | `::192.0.2.7` | RFC 4291 §2.5.5.1 |
    /// | IPv4-translated (SIIT) | `::ffff:0:192.0.2.7` | RFC 2765 §2.1 |
    /// | NAT64 well-known prefix | `64:ff9b::192.0.2.7` | RFC 6052 §2.1 |
    ///
    /// An embedded address in `0.0.0.0/8` ("this network") or `127.0.0.0/8` (loopback) is no
    /// client — RFC 6052 §3.1 forbids them under the NAT64 prefix, and `::` and `::1` are not
    /// IPv4-compatible addresses at all — so such an address stays IPv6 rather than share a
    /// bucket with this host's own IPv4 traffic. Network-specific NAT64 prefixes (RFC 6052 §2.2,
    /// RFC 8215's `64:ff9b:1::/48`) place the IPv4 bits wherever the operator's prefix length
    /// says, which the address alone does not tell: such clients are keyed as IPv6. 6to4
    /// (`2002::/16`) and Teredo (`2001::/32`) embed a *router's* or *server's* IPv4 address, not
    /// the client's, and are keyed as IPv6 too.
    public var embeddedIPv4: IPAddress? {
        if self.isIPv4 { return self }
        let bits = UInt32(truncatingIfNeeded: self.low)
        let firstOctet = bits >> 24
        guard firstOctet != 0, firstOctet != 127 else { return nil }
        switch (self.high, self.low >> 32) {
        case (0, 0), // ::a.b.c.d
            (0, 0xffff_0000), // ::ffff:0:a.b.c.d
            (Self.nat64WellKnownPrefix, 0): // 64:ff9b::a.b.c.d
            return IPAddress(ipv4: bits)
        default:
            return nil
        }
    }

    /// The upper 64 bits of `64:ff9b::/96`.
    private static let nat64WellKnownPrefix: UInt64 = 0x0064_ff9b_0000_0000
}
