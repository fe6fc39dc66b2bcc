/// Which rate-limit headers ``RateLimitMiddleware`` adds to allowed and denied responses.
///
/// `Retry-After` is not part of the style: every `429` carries it (except when the request's
/// cost exceeds the capacity, so no wait would ever help).
///
/// | Style | Headers |
/// |---|---|
/// | ``legacy`` | `X-RateLimit-Limit: 10`, `X-RateLimit-Remaining: 7`, `X-RateLimit-Reset: 2` |
/// | ``ietf`` | `RateLimit-Policy: "default";q=10;w=5`, `RateLimit: "default";r=7;t=2` |
/// | ``both`` | all five (the default) |
/// | ``none`` | none |
///
/// `X-RateLimit-Reset` is the number of **seconds** until the bucket is full again, rounded up
/// — not a Unix time. A delta needs no clock agreement between server and client, and it is the
/// same number as the IETF `t` parameter. See ``RateLimitMiddleware`` for every value's
/// definition.
public struct RateLimitHeaderStyle: Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Whether the `X-RateLimit-*` headers are sent.
    public let includesLegacy: Bool
    /// Whether the IETF draft's `RateLimit-Policy` and `RateLimit` structured fields are sent.
    public let includesIETF: Bool

    private init(legacy: Bool, ietf: Bool) {
        self.includesLegacy = legacy
        self.includesIETF = ietf
    }

    /// The de facto `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`.
    public static let legacy = RateLimitHeaderStyle(legacy: true, ietf: false)
    /// `RateLimit-Policy` and `RateLimit`, as structured fields (RFC 9651) per
    /// draft-ietf-httpapi-ratelimit-headers-10.
    public static let ietf = RateLimitHeaderStyle(legacy: false, ietf: true)
    /// Both the legacy and the IETF headers: what old and new clients read. The default.
    public static let both = RateLimitHeaderStyle(legacy: true, ietf: true)
    /// No rate-limit headers; a `429` still carries `Retry-After`.
    public static let none = RateLimitHeaderStyle(legacy: false, ietf: false)

    /// The four styles.
    public static let allCases: [RateLimitHeaderStyle] = [.legacy, .ietf, .both, .none]

    /// Parses `legacy`, `ietf`, `both` or `none`.
    public init?(_ name: String) {
        guard let style = Self.allCases.first(where: { $0.description == name }) else { return nil }
        self = style
    }

    /// `legacy`, `ietf`, `both` or `none`.
    public var description: String {
        switch (self.includesLegacy, self.includesIETF) {
        case (true, false): "legacy"
        case (false, true): "ietf"
        case (true, true): "both"
        case (false, false): "none"
        }
    }
}
