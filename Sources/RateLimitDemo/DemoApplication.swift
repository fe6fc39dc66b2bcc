import Hummingbird
import Logging
import Metrics
import NIOCore
import Prometheus
import RateLimit
import RateLimitHummingbird
import RateLimitRedis

/// The demo's request context: Hummingbird's basic context plus the connection's address, which
/// the rate limiter keys clients by.
struct DemoRequestContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }
}

/// Builds the tutorial's API from a ``DemoConfiguration``.
enum DemoApplication {
    /// Paths that are never limited: health checks and metrics scrapes must not spend, or be
    /// refused by, a client's quota.
    static let exemptPaths: Set<String> = ["/health", "/metrics"]

    /// The application, ready to run or to test, and what must be shut down after it stops (the
    /// Redis connections, when the buckets live in Redis).
    ///
    /// - Parameters:
    ///   - configuration: Validated settings.
    ///   - registry: Where metrics are kept and what `/metrics` reports.
    ///   - clock: The in-memory limiter's clock; tests pass a `ManualClock`. (Redis uses its own.)
    ///   - logger: The application's logger.
    static func build(
        configuration: DemoConfiguration,
        registry: PrometheusCollectorRegistry,
        clock: some RateLimitClock = MonotonicClock(),
        logger: Logger
    ) throws(RateLimitError) -> (application: some ApplicationProtocol, shutdown: @Sendable () async -> Void) {
        var limiter: (any AsyncRateLimiter<ClientKey>)?
        var shutdown: @Sendable () async -> Void = {}
        if case .inMemory(let engine) = configuration.engine, let policy = configuration.policy {
            if let url = configuration.redisURL {
                let redis = try RedisRateLimiter<ClientKey>(
                    policy: policy,
                    configuration: try RedisConfiguration(url: url),
                    failurePolicy: try .named(configuration.redisFailure, fallbackPolicy: policy),
                    keyName: \.stableName,
                    logger: logger,
                    metricsFactory: Self.metricsFactory(registry)
                )
                limiter = redis
                shutdown = { await redis.shutdown() }
            } else {
                limiter = try engine.make(policy: policy, clock: clock, keyType: ClientKey.self)
            }
        }
        let router = try Self.router(configuration: configuration, limiter: limiter, registry: registry)
        let application = Application(
            router: router,
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "ratelimit-demo"),
            logger: logger
        )
        return (application, shutdown)
    }

    /// The routes, behind the rate-limit middleware unless the engine is `none`.
    static func router(
        configuration: DemoConfiguration,
        limiter: (any AsyncRateLimiter<ClientKey>)?,
        registry: PrometheusCollectorRegistry
    ) throws(RateLimitError) -> Router<DemoRequestContext> {
        let router = Router(context: DemoRequestContext.self)
        if let limiter {
            router.add(
                middleware: try RateLimitMiddleware(
                    limiter: limiter,
                    key: .remoteAddress(trustedProxies: configuration.trustedProxies),
                    exemptPaths: Self.exemptPaths,
                    headers: configuration.headerStyle,
                    metricsFactory: Self.metricsFactory(registry),
                    decisionTiming: configuration.decisionTiming,
                    enforcement: configuration.enforcement
                )
            )
        }
        // Static bodies: the handlers cost next to nothing, so the benchmark measures the
        // middleware, not a JSON encoder.
        router.get("/") { _, _ in Self.json(#"{"message":"Hello, world!"}"#) }
        router.get("/data") { _, _ in Self.json(#"{"data":"Some important information"}"#) }
        router.get("/health") { _, _ in Self.json(#"{"status":"ok"}"#) }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer()))
            )
        }
        return router
    }

    /// A Prometheus factory whose decision-timer buckets fit decisions that take microseconds,
    /// not the default buckets sized for whole requests.
    static func metricsFactory(_ registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[RateLimitMetricLabels.decisionDuration] = [
            .nanoseconds(250), .microseconds(1), .microseconds(4), .microseconds(16), .microseconds(64),
            .microseconds(256), .milliseconds(1), .milliseconds(10), .milliseconds(100),
        ]
        return factory
    }

    private static func json(_ body: StaticString) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(staticString: body))
        )
    }
}
