public import HTTPTypes
public import Hummingbird
public import RateLimit

/// How ``RateLimitMiddleware`` decides which client a request belongs to.
///
/// Returning `nil` means the request identifies no client; the middleware then applies its
/// ``UnidentifiedClientPolicy``.
///
/// ```swift
/// // The connection's address (the default), believing X-Forwarded-For from the load balancer:
/// let byAddress = try ClientKeyExtractor<AppContext>.remoteAddress(
///     trustedProxies: TrustedProxies(["10.0.0.0/8"]))
/// // An API key, once an earlier middleware has authenticated it:
/// let byAPIKey = try ClientKeyExtractor<AppContext>.header(HTTPField.Name("X-API-Key")!)
/// // An authenticated user:
/// let byUser = ClientKeyExtractor<AppContext>.custom { _, context in context.userID }
/// ```
public struct ClientKeyExtractor<Context: RequestContext>: Sendable {
    private let extract: @Sendable (Request, Context) -> ClientKey?

    /// Creates an extractor from a closure.
    public init(_ extract: @escaping @Sendable (Request, Context) -> ClientKey?) {
        self.extract = extract
    }

    /// The key of `request`, or `nil` when it identifies no client.
    public func key(for request: Request, context: Context) -> ClientKey? {
        self.extract(request, context)
    }

    /// Keys requests by the value of a header, such as an API key.
    ///
    /// A request without the header, with an empty value, with the header repeated, or with a
    /// value longer than `maximumLength` bytes identifies no client. The length bound keeps a
    /// hostile client from storing megabytes in the limiter's table.
    ///
    /// - Important: A client can put anything in a header, and each distinct value gets a fresh,
    ///   full bucket. Key by a header only once the value is authenticated (place this
    ///   middleware after the authentication middleware), or the limit is not a limit.
    /// - Parameters:
    ///   - name: The header.
    ///   - maximumLength: The longest value accepted, in `1...8192` bytes; 256 by default.
    /// - Throws: `RateLimitError.Code.invalidConfiguration` for a `maximumLength`
    ///   out of range.
    public static func header(_ name: HTTPField.Name, maximumLength: Int = 256) throws(RateLimitError) -> Self {
        guard (1...8192).contains(maximumLength) else {
            throw .invalidConfiguration("header key maximumLength", maximumLength, allowed: "in 1...8192 bytes")
        }
        return Self { request, _ in
            let values = request.headers[values: name]
            guard values.count == 1, let value = values.first, !value.isEmpty, value.utf8.count <= maximumLength else {
                return nil
            }
            return .name(value)
        }
    }

    /// Keys requests by a name that `body` derives, such as an authenticated user's id. A `nil`
    /// or empty name identifies no client.
    public static func custom(_ body: @escaping @Sendable (Request, Context) -> String?) -> Self {
        Self { request, context in
            guard let name = body(request, context), !name.isEmpty else { return nil }
            return .name(name)
        }
    }
}

extension ClientKeyExtractor where Context: RemoteAddressRequestContext {
    /// Keys requests by the connection's IP address, with IPv6 clients keyed by their /64
    /// network (IPv4 clients embedded in IPv6 by their IPv4 address), and no trusted proxies. The default of ``RateLimitMiddleware``.
    public static var remoteAddress: Self {
        Self.remoteAddress(trustedProxies: .none, validIPv6PrefixLength: 64)
    }

    /// Keys requests by the client's IP address: the connection's address, or the one that
    /// trusted proxies name in their forwarding header (see ``TrustedProxies``).
    ///
    /// IPv6 addresses are masked to their first `ipv6PrefixLength` bits before keying. An ISP
    /// hands each IPv6 subscriber at least a /64, so keying by full /128 addresses would let one
    /// client rotate through 2⁶⁴ fresh buckets. IPv4 addresses are keyed whole, and so are IPv6
    /// addresses that embed an IPv4 client (NAT64 `64:ff9b::a.b.c.d`, `::ffff:0:a.b.c.d`,
    /// `::a.b.c.d`; see ``IPAddress/embeddedIPv4``): keyed by /64, every IPv4 client behind one
    /// translator would share a bucket. A request over a
    /// Unix domain socket, or whose trusted forwarding header names no address, identifies no
    /// client.
    ///
    /// - Parameters:
    ///   - trustedProxies: Whose forwarding headers to believe; none by default.
    ///   - ipv6PrefixLength: Bits of an IPv6 address that identify a client, in `1...128`; 64 by
    ///     default.
    /// - Throws: `RateLimitError.Code.invalidConfiguration` for an
    ///   `ipv6PrefixLength` out of range.
    public static func remoteAddress(trustedProxies: TrustedProxies = .none, ipv6PrefixLength: Int = 64)
        throws(RateLimitError) -> Self
    {
        guard (1...128).contains(ipv6PrefixLength) else {
            throw .invalidConfiguration(
                "ipv6PrefixLength",
                ipv6PrefixLength,
                allowed: "in 1...128 (64 keys each IPv6 subscriber once)"
            )
        }
        return Self.remoteAddress(trustedProxies: trustedProxies, validIPv6PrefixLength: ipv6PrefixLength)
    }

    private static func remoteAddress(trustedProxies: TrustedProxies, validIPv6PrefixLength: Int) -> Self {
        Self { request, context in
            guard let socketAddress = context.remoteAddress, let peer = IPAddress(socketAddress) else { return nil }
            // Without trusted proxies the headers are not even copied: this runs on every request.
            let client: IPAddress
            if trustedProxies.networks.isEmpty {
                client = peer
            } else if let forwarded = trustedProxies.clientAddress(peer: peer, headers: request.headers) {
                client = forwarded
            } else {
                return nil
            }
            return .address(client.embeddedIPv4 ?? client.masked(toPrefixLength: validIPv6PrefixLength))
        }
    }
}
