public import HTTPTypes
public import RateLimit

/// The reverse proxies whose forwarding headers may name the client, and the header they write.
///
/// A forwarding header is just text that any client can send. It is believed only when the
/// direct peer — the address of the TCP connection — is one of these proxies. Then the chain is
/// read from the right, the hop nearest to this server first, skipping hops that are themselves
/// trusted proxies; the first untrusted hop is the client. Everything to its left was written by
/// the client or by proxies nobody vouches for, and is ignored, so a spoofed value can never
/// choose the bucket.
///
/// | Direct peer | Header | Client |
/// |---|---|---|
/// | not trusted | anything | the peer |
/// | trusted | absent | the peer (the proxy sent the request itself) |
/// | trusted | `X-Forwarded-For: 6.6.6.6, 198.51.100.4` | `198.51.100.4` |
/// | trusted | `X-Forwarded-For: 198.51.100.4, 10.0.0.2` (10.0.0.2 trusted) | `198.51.100.4` |
/// | trusted | `X-Forwarded-For: 6.6.6.6, garbage` | none: the request has no usable key |
/// | trusted | `Forwarded: for="x, for=198.51.100.4` | `198.51.100.4`: text left of it is never read |
///
/// When the hop that should name the client is not an IP address (`unknown`, an obfuscated
/// identifier, or malformed text), or its `Forwarded` element breaks RFC 7239's grammar, the
/// request has no usable key and is handled by the middleware's ``UnidentifiedClientPolicy``.
/// Text left of that hop is never read: a client cannot escape its bucket, nor fall into the
/// shared one, by sending a malformed header that a proxy then appends to.
///
/// Name exactly one header: the one your proxies *overwrite or append to*. A proxy that appends
/// to `X-Forwarded-For` passes a client's `Forwarded` header through untouched, so reading both
/// would let a client choose its own bucket.
public struct TrustedProxies: Hashable, Sendable, CustomStringConvertible {
    /// The forwarding header that the trusted proxies write.
    public enum ForwardingHeader: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
        /// `X-Forwarded-For: client, proxy1, proxy2`: written by nginx, HAProxy, AWS ALB,
        /// Cloudflare and most load balancers.
        case xForwardedFor = "x-forwarded-for"
        /// RFC 7239 `Forwarded: for=client;proto=https, for=proxy1`.
        case forwarded = "forwarded"

        /// The header's field name.
        public var fieldName: HTTPField.Name {
            switch self {
            case .xForwardedFor: .xForwardedFor
            case .forwarded: .forwarded
            }
        }

        /// The header's name in lower case, as `--forwarding-header` takes it.
        public var description: String { self.rawValue }
    }

    /// The proxies' addresses and networks.
    public let networks: [IPNetwork]
    /// The header the proxies write; the other one is ignored.
    public let header: ForwardingHeader

    /// No trusted proxies: forwarding headers are always ignored and the client is the peer.
    public static let none = TrustedProxies([IPNetwork](), header: .xForwardedFor)

    /// Trusts the given networks.
    public init(_ networks: [IPNetwork], header: ForwardingHeader = .xForwardedFor) {
        self.networks = networks
        self.header = header
    }

    /// Trusts the given addresses and CIDR blocks, such as `["10.0.0.0/8", "::1"]`.
    ///
    /// - Throws: `RateLimitError` with code
    ///   `RateLimitError.Code.invalidConfiguration` naming the first value that is not
    ///   an address or CIDR block, and the accepted forms.
    public init(_ networks: [String], header: ForwardingHeader = .xForwardedFor) throws(RateLimitError) {
        var parsed: [IPNetwork] = []
        for network in networks {
            parsed.append(try IPNetwork(network))
        }
        self.init(parsed, header: header)
    }

    /// Whether `address` is one of the trusted proxies.
    public func contains(_ address: IPAddress) -> Bool {
        self.networks.contains { $0.contains(address) }
    }

    /// The client's address for a request that arrived from `peer`, or `nil` when the forwarding
    /// header, which a trusted peer vouches for, does not name one.
    ///
    /// - Complexity: O(*n*) in the bytes of the header, read right to left only as far as the
    ///   first untrusted hop; no allocation.
    public func clientAddress(peer: IPAddress, headers: HTTPFields) -> IPAddress? {
        self.resolveClient(peer: peer, headers: headers).client
    }

    /// ``clientAddress(peer:headers:)``, and the work the header cost (bytes read, see
    /// ``ForwardingHeaderParser``), which tests bound.
    func resolveClient(peer: IPAddress, headers: HTTPFields) -> (client: IPAddress?, work: Int) {
        guard !self.networks.isEmpty, self.contains(peer) else { return (peer, 0) }
        // Repeated header lines form one list, in order (RFC 9110 §5.3).
        guard let value = headers[self.header.fieldName] else { return (peer, 0) }

        var client: IPAddress? = peer
        let work = ForwardingHeaderParser.forEachHop(of: self.header, in: value) { hop in
            guard case .address(let address) = hop else {
                client = nil
                return false
            }
            client = address
            return self.contains(address) // keep walking left only past trusted proxies
        }
        // If every hop was a trusted proxy, the left-most one is where the request began.
        return (client, work)
    }

    /// The networks and the header, or `none`.
    public var description: String {
        self.networks.isEmpty
            ? "none" : "\(self.networks.map(\.description).joined(separator: ", ")) via \(self.header)"
    }
}

extension HTTPField.Name {
    /// `X-Forwarded-For`, the de facto forwarding header.
    public static let xForwardedFor = Self("X-Forwarded-For")!
    /// `Forwarded`, RFC 7239.
    public static let forwarded = Self("Forwarded")!
}
