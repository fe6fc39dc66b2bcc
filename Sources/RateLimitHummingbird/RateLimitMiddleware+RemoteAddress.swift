public import Hummingbird
public import Logging
public import Metrics
public import RateLimit

extension RateLimitMiddleware where Context: RemoteAddressRequestContext {
    /// Creates a rate-limit middleware that keys clients by IP address by default.
    ///
    /// See ``init(limiter:name:key:unidentifiedClients:exemptPaths:headers:deniedLogLevel:allowedLogLevel:metricsFactory:decisionTiming:cost:)``
    /// for the parameters; `key` defaults to ``ClientKeyExtractor/remoteAddress`` (the
    /// connection's address, IPv6 by /64, no trusted proxies).
    @_disfavoredOverload
    public init(
        limiter: some AsyncRateLimiter<ClientKey>,
        name: String = "default",
        key: ClientKeyExtractor<Context> = .remoteAddress,
        unidentifiedClients: UnidentifiedClientPolicy = .sharedBucket,
        exemptPaths: Set<String> = [],
        headers: RateLimitHeaderStyle = .both,
        deniedLogLevel: Logger.Level? = .info,
        allowedLogLevel: Logger.Level? = nil,
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        decisionTiming: DecisionTiming = .automatic,
        cost: (@Sendable (Request, Context) -> Int)? = nil
    ) throws(RateLimitError) {
        // Swift has no default argument that depends on a constraint, hence this overload. It is
        // disfavoured so that this call (and any caller passing `key`) reaches the general
        // initializer, the one that does the work, instead of recursing into this one.
        try self.init(
            limiter: limiter,
            name: name,
            key: key,
            unidentifiedClients: unidentifiedClients,
            exemptPaths: exemptPaths,
            headers: headers,
            deniedLogLevel: deniedLogLevel,
            allowedLogLevel: allowedLogLevel,
            metricsFactory: metricsFactory,
            decisionTiming: decisionTiming,
            cost: cost
        )
    }
}
