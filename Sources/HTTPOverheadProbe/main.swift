// The per-request CPU cost of RateLimitMiddleware and of its parts: in process, on one thread,
// without network or HTTP parsing, so that the figures hold still on a shared machine where
// wrk's do not. Benchmarks/http/run.sh builds and runs it (target HTTPOverheadProbe):
//
//   swift build -c release --product HTTPOverheadProbe && .build/release/HTTPOverheadProbe
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore
import NIOEmbedded
import Prometheus
import RateLimit
import RateLimitHummingbird

/// A context whose client is always 127.0.0.1, as in the wrk benchmark.
struct ProbeContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    var remoteAddress: SocketAddress?
    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = loopback
    }
}

let loopback = try SocketAddress(ipAddress: "127.0.0.1", port: 4000)

let policy = try BucketPolicy(capacity: 1_000_000_000_000, refill: 1_000_000_000, every: .seconds(1))
let registry = PrometheusCollectorRegistry()
let prometheus = PrometheusMetricsFactory(registry: registry)
var logger = Logger(label: "probe")
logger.logLevel = .warning
let channel = EmbeddedChannel()

let head = HTTPRequest(method: .get, scheme: "http", authority: "localhost", path: "/")
let request = Request(head: head, body: .init(buffer: ByteBuffer()))
let context = ProbeContext(source: .init(channel: channel, logger: logger))
let next: @Sendable (Request, ProbeContext) async throws -> Response = { _, _ in Response(status: .ok) }

func middleware(
    headers: RateLimitHeaderStyle = .both,
    metrics: any MetricsFactory = prometheus,
    exempt: Set<String> = ["/health", "/metrics"]
) throws -> RateLimitMiddleware<ProbeContext> {
    try RateLimitMiddleware(
        limiter: AtomicRateLimiter<ClientKey>(policy: policy),
        exemptPaths: exempt,
        headers: headers,
        metricsFactory: metrics
    )
}

/// A middleware that only calls `next`: what any Hummingbird middleware costs before it does
/// anything. The rate limiter's own cost is a variant's time less this one's.
struct PassThroughMiddleware: RouterMiddleware {
    func handle(
        _ request: Request,
        context: ProbeContext,
        next: (Request, ProbeContext) async throws -> Response
    ) async throws -> Response {
        try await next(request, context)
    }
}

// Interleaved repetitions; the minimum of each variant is the least disturbed measurement.
func minimumNanoseconds(
    _ middleware: (any RouterMiddleware<ProbeContext>)?,
    iterations: Int = 200_000
) async throws -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    for _ in 0..<iterations {
        if let middleware {
            _ = try await middleware.handle(request, context: context, next: next)
        } else {
            _ = try await next(request, context)
        }
    }
    let elapsed = start.duration(to: clock.now)
    return Double(elapsed.totalNanoseconds) / Double(iterations)
}
let variants: [(String, (any RouterMiddleware<ProbeContext>)?)] = [
    ("next only", nil),
    ("pass-through middleware", PassThroughMiddleware()),
    ("full (demo config)", try middleware()),
    ("headers none", try middleware(headers: .none)),
    ("headers legacy", try middleware(headers: .legacy)),
    ("headers ietf", try middleware(headers: .ietf)),
    ("no-op metrics", try middleware(metrics: NOOPMetricsHandler.instance)),
    ("no exempt paths", try middleware(exempt: [])),
    ("bare (none, noop, none)", try middleware(headers: .none, metrics: NOOPMetricsHandler.instance, exempt: [])),
]
var minimums = [Double](repeating: .infinity, count: variants.count)
for _ in 0..<7 {
    for (index, variant) in variants.enumerated() {
        minimums[index] = min(minimums[index], try await minimumNanoseconds(variant.1))
    }
}
for (index, variant) in variants.enumerated() {
    let name = variant.0.padding(toLength: 24, withPad: " ", startingAt: 0)
    let own = index < 2 ? "" : String(format: "  (%5.0f over pass-through)", minimums[index] - minimums[1])
    print("\(name) \(String(format: "%6.0f", minimums[index])) ns/request\(own)")
}

// Components of the bare path.
func timeLoop(_ name: String, iterations: Int = 2_000_000, _ body: @Sendable () async throws -> Int) async rethrows {
    let clock = ContinuousClock()
    let start = clock.now
    var sink = 0
    for _ in 0..<iterations { sink &+= try await body() }
    let ns = Double(start.duration(to: clock.now).totalNanoseconds)
    print("\(name): \(String(format: "%.1f", ns / Double(iterations))) ns (\(sink & 1))")
}
let extractor = ClientKeyExtractor<ProbeContext>.remoteAddress
let anyLimiter: any AsyncRateLimiter<ClientKey> = try AtomicRateLimiter<ClientKey>(policy: policy)
let concrete = try AtomicRateLimiter<ClientKey>(policy: policy)
let key = ClientKey.address(IPAddress("127.0.0.1")!)
let syncExistential: any RateLimiter<ClientKey> = try AtomicRateLimiter<ClientKey>(policy: policy)
let counter = Counter(label: "probe_total", factory: prometheus)
let timer = Metrics.Timer(label: "probe_seconds", factory: prometheus)
for _ in 0..<2 {
    await timeLoop("key extraction        ") { extractor.key(for: request, context: context) == nil ? 0 : 1 }
    try await timeLoop("existential acquire   ") { try await anyLimiter.acquire(key, cost: 1).remaining }
    await timeLoop("sync acquire          ") { concrete.acquire(key, cost: 1).remaining }
    try await timeLoop("existential checked   ") { try syncExistential.checkedAcquire(key, cost: 1).remaining }
    await timeLoop("clock read            ") { Int(MonotonicClock().monotonicNanoseconds() & 1) }
    await timeLoop("counter increment     ") {
        counter.increment()
        return 1
    }
    await timeLoop("timer record          ") {
        timer.recordNanoseconds(100)
        return 1
    }
    await timeLoop("uri.path              ") { request.uri.path.utf8.count }
    await timeLoop("endpointPath          ") { context.endpointPath?.utf8.count ?? 0 }
}

// What the header styles cost before the middleware does anything: HTTPTypes appending five
// fields that already exist (the `.both` style's count) to a fresh response, against the response
// alone. Copying an `HTTPField` retains its name's strings, and every append goes through
// `replaceSubrange`, so this is the floor of any middleware that sends these headers.
let rateLimitFields = [
    HTTPField(name: .xRateLimitLimit, value: "1000000000000"),
    HTTPField(name: .xRateLimitRemaining, value: "999999999999"),
    HTTPField(name: .xRateLimitReset, value: "1"),
    HTTPField(name: .rateLimitPolicy, value: #""default";q=1000000000000;w=1000"#),
    HTTPField(name: .rateLimit, value: #""default";r=999999999999;t=1"#),
]
for _ in 0..<2 {
    await timeLoop("response alone        ") { Response(status: .ok).headers.count }
    await timeLoop("response + 5 fields   ") {
        var response = Response(status: .ok)
        response.headers.reserveCapacity(response.headers.count + rateLimitFields.count)
        for field in rateLimitFields { response.headers.append(field) }
        return response.headers.count
    }
}
