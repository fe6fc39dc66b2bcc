public import HTTPTypes

/// What ``RateLimitMiddleware`` does with a request whose client cannot be identified: no
/// remote address (a Unix domain socket), a trusted forwarding header that names no address, or
/// a missing API-key header.
public struct UnidentifiedClientPolicy: Hashable, Sendable, CustomStringConvertible {
    enum Action: Hashable, Sendable {
        case sharedBucket
        case reject(HTTPResponse.Status)
    }

    let action: Action

    /// All such requests share one bucket, ``ClientKey/unidentified``, with the middleware's
    /// policy: they are limited together, never exempt. The default.
    ///
    /// Choose it when unidentified requests are rare and legitimate (health checks over a
    /// socket, a proxy that sometimes omits the header). One busy unidentified client can use
    /// up the shared bucket for the others; that is the price of serving them at all.
    public static let sharedBucket = UnidentifiedClientPolicy(action: .sharedBucket)

    /// Such requests are answered with `status` (and a small JSON body) without reaching the
    /// handler or the limiter. Use `.unauthorized` when the key is an API key.
    public static func reject(status: HTTPResponse.Status = .badRequest) -> UnidentifiedClientPolicy {
        UnidentifiedClientPolicy(action: .reject(status))
    }

    /// `shared bucket` or `reject with <status>`.
    public var description: String {
        switch self.action {
        case .sharedBucket: "shared bucket"
        case .reject(let status): "reject with \(status.code)"
        }
    }
}
