import HTTPTypes
public import Hummingbird
public import Logging
public import Metrics
public import RateLimit

/// Middleware that limits each client to a token-bucket policy, answering `429 Too Many
/// Requests` when the client's bucket is empty.
///
/// Add it to a router to limit every route, or to a route group to give the group its own
/// policy. Each middleware has its own limiter — any `AsyncRateLimiter` keyed by
/// ``ClientKey``, in memory or shared — and a name that labels its headers, logs and metrics.
///
/// ```swift
/// struct AppRequestContext: RequestContext, RemoteAddressRequestContext {
///     var coreContext: CoreRequestContextStorage
///     let remoteAddress: SocketAddress?
///     init(source: ApplicationRequestContextSource) {
///         self.coreContext = .init(source: source)
///         self.remoteAddress = source.channel.remoteAddress
///     }
/// }
///
/// let router = Router(context: AppRequestContext.self)
/// let policy = try BucketPolicy(capacity: 10, refill: 2, every: .seconds(1))
/// router.add(middleware: try RateLimitMiddleware(
///     limiter: try AtomicRateLimiter<ClientKey>(policy: policy),
///     exemptPaths: ["/health"]
/// ))
/// ```
///
/// ## Responses
/// - **Allowed**: the handler's response, with the rate-limit headers of ``RateLimitHeaderStyle``
///   (on error responses from the handler too).
/// - **Denied**: `429` with the same headers, `Retry-After` in whole seconds rounded up (at least
///   1), and a small JSON body: `{"error":"Too Many Requests","detail":"…","retryAfter":1}`. A
///   request whose cost exceeds the capacity gets `429` without `Retry-After`: no wait helps.
/// - **No client key**: see ``UnidentifiedClientPolicy``.
/// - **No decision**: `500` when the cost closure returns a negative cost (a bug, logged at
///   `error`); `503` when the limiter throws (for example, its shared store is unreachable).
/// - **Shadow mode** (`enforcement: .shadow`): always the handler's response, with the headers;
///   what would have been answered is counted and logged (see ``RateLimitEnforcement``).
///
/// ## Header values
/// For a decision `d` of a policy with capacity `c`:
/// `X-RateLimit-Limit` = `c`; `X-RateLimit-Remaining` = `d.remaining`; `X-RateLimit-Reset` =
/// seconds until the bucket is full, rounded up (a delta, **not** a Unix time);
/// `RateLimit-Policy: "name";q=c;w=W` with `W` the seconds to refill an empty bucket, rounded up;
/// `RateLimit: "name";r=d.remaining;t=T` with `T` the same as `X-RateLimit-Reset`.
///
/// ## Observability
/// Denials are logged at `deniedLogLevel` (`info` by default, `nil` for none), allowed requests
/// at `allowedLogLevel` (`nil` by default), through the request's logger. Counters and a timer
/// go to `metricsFactory`: `ratelimit_requests_total{policy, outcome}` with outcome `allowed`,
/// `denied`, `rejected` or `error`, and `ratelimit_decision_duration_seconds{policy}`, which
/// times the decisions that ``DecisionTiming`` picks.
///
/// ## Cost
/// An in-memory engine is called synchronously and reads its clock once per request (a request
/// whose decision ``DecisionTiming`` times reads it twice more); the header values that do not
/// depend on the decision are rendered once. `HTTPOverheadProbe`
/// measures the middleware's in-process cost per request (see `Benchmarks/http/run.sh`).
public struct RateLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The policy's name in headers, logs and metrics.
    public var name: String { self.settings.name }
    /// The limiter deciding for this middleware.
    public var limiter: any AsyncRateLimiter<ClientKey> { self.settings.decider.limiter }

    /// Everything the middleware was configured with, in one object: Hummingbird copies the
    /// middleware into each request's frame, and a copy is then one retain, not ten.
    private let settings: Settings

    /// Creates a rate-limit middleware.
    ///
    /// - Parameters:
    ///   - limiter: The limiter; its `AsyncRateLimiter.policy` is what the headers
    ///     advertise.
    ///   - name: The policy's name: 1–64 printable ASCII characters. Give nested middlewares
    ///     different names; clients tell their `RateLimit` list members apart by it.
    ///   - key: How to identify the client.
    ///   - unidentifiedClients: What to do when `key` finds no client.
    ///   - exemptPaths: Paths never limited, such as `"/health"`: each starts with `/` and does not
    ///     end with one. A request is exempt when its path (less one trailing `/`) or the path of
    ///     the route it matched (as Hummingbird prints it, such as `/users/{id}`) is listed.
    ///   - headers: Which rate-limit headers to send.
    ///   - deniedLogLevel: The level to log denials at, or `nil` for none.
    ///   - allowedLogLevel: The level to log allowed requests at, or `nil` (the default) for none.
    ///   - metricsFactory: Where counters and timers go. Defaults to the factory bootstrapped
    ///     when the middleware is created, so bootstrap `MetricsSystem` first.
    ///   - decisionTiming: Which decisions the decision timer records; see ``DecisionTiming``.
    ///   - cost: Tokens a request takes; 1 when `nil`. `0` checks without taking. A negative
    ///     result is a bug: the request is answered `500` and the error logged.
    ///   - enforcement: ``RateLimitEnforcement/enforce`` (the default) answers `429`;
    ///     ``RateLimitEnforcement/shadow`` only counts and logs what it would answer.
    /// - Throws: `RateLimitError.Code.invalidConfiguration` naming the value for an
    ///   invalid `name` or exempt path, or a policy too large for the IETF headers.
    public init(
        limiter: some AsyncRateLimiter<ClientKey>,
        name: String = "default",
        key: ClientKeyExtractor<Context>,
        unidentifiedClients: UnidentifiedClientPolicy = .sharedBucket,
        exemptPaths: Set<String> = [],
        headers: RateLimitHeaderStyle = .both,
        deniedLogLevel: Logger.Level? = .info,
        allowedLogLevel: Logger.Level? = nil,
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        decisionTiming: DecisionTiming = .automatic,
        cost: (@Sendable (Request, Context) -> Int)? = nil,
        enforcement: RateLimitEnforcement = .enforce
    ) throws(RateLimitError) {
        guard RateLimitHeaders.isValidPolicyName(name) else {
            throw .invalidConfiguration(
                "rate-limit policy name",
                "\"\(name.prefix(80))\"",
                allowed: "1...64 printable ASCII characters"
            )
        }
        for path in exemptPaths where !path.hasPrefix("/") || (path.count > 1 && path.hasSuffix("/")) {
            // Written out: the helper's "must be" does not fit a rule about the path's form.
            throw RateLimitError(
                code: .invalidConfiguration,
                message: "invalid exempt path \"\(path.prefix(80))\": "
                    + #"must start with "/" and not end with one, such as "/health""#
            )
        }
        let decider = MiddlewareLimiter(limiter)
        self.settings = Settings(
            name: name,
            decider: decider,
            key: key,
            unidentifiedClients: unidentifiedClients,
            exemptPaths: ExemptPaths(exemptPaths),
            cost: cost,
            headers: try RateLimitHeaders(style: headers, policyName: name, policy: limiter.policy),
            deniedLogLevel: deniedLogLevel,
            allowedLogLevel: allowedLogLevel,
            metrics: RateLimitMetrics(policyName: name, factory: metricsFactory),
            timing: decisionTiming.resolved(synchronousLimiter: decider.isSynchronous),
            enforcement: enforcement
        )
    }

    /// Whether the middleware answers for its limit or only reports (see ``RateLimitEnforcement``).
    public var enforcement: RateLimitEnforcement { self.settings.enforcement }

    /// Takes the request's cost from its client's bucket and calls `next` if the bucket held
    /// enough, or answers `429` (or `400`/`500`/`503`, see the type's documentation) without
    /// calling it. Exempt paths go straight to `next`.
    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let settings = self.settings
        if settings.exemptPaths.contains(request, context: context) {
            return try await next(request, context)
        }
        let key: ClientKey
        if let found = settings.key.key(for: request, context: context) {
            key = found
        } else {
            switch settings.unidentifiedClients.action {
            case .sharedBucket: key = .unidentified
            case .reject(let status):
                let response = settings.rejectUnidentified(status, context: context)
                return settings.isShadow ? try await next(request, context) : response
            }
        }
        let cost = settings.cost?(request, context) ?? 1
        // Checked here as well as by the engines, so that a limiter written elsewhere cannot
        // turn a bug in the cost closure into a refund of tokens.
        guard cost >= 0 else {
            let response = settings.rejectInvalidCost(cost, context: context)
            return settings.isShadow ? try await next(request, context) : response
        }

        let decision: RateLimitDecision
        do {
            decision = try await settings.decide(key, cost: cost)
        } catch let error as CancellationError {
            throw error
        } catch {
            let response = settings.answerLimiterFailure(error, context: context)
            return settings.isShadow ? try await next(request, context) : response
        }
        if decision.isAllowed {
            settings.recordAllowed(decision, key: key, context: context)
        } else if settings.isShadow {
            settings.recordShadowDenial(decision, key: key, cost: cost, context: context)
        } else {
            return settings.deny(decision, key: key, cost: cost, context: context)
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError where settings.headers.style != .none {
            throw ErrorWithRateLimitHeaders(original: error, decision: decision, headers: settings.headers)
        }
        settings.headers.write(decision, to: &response.headers)
        return response
    }
}

// MARK: The steps of `handle`

extension RateLimitMiddleware {
    /// The middleware's configuration and the steps of `handle` that use it.
    private final class Settings: Sendable {
        let name: String
        /// The limiter, kept once, in the form that is fastest to call.
        let decider: MiddlewareLimiter
        let key: ClientKeyExtractor<Context>
        let unidentifiedClients: UnidentifiedClientPolicy
        let exemptPaths: ExemptPaths
        let cost: (@Sendable (Request, Context) -> Int)?
        let headers: RateLimitHeaders
        let deniedLogLevel: Logger.Level?
        let allowedLogLevel: Logger.Level?
        let metrics: RateLimitMetrics
        /// Resolved: never ``DecisionTiming/automatic``.
        let timing: DecisionTiming
        let enforcement: RateLimitEnforcement
        /// `enforcement == .shadow`, kept as a plain flag for the request path.
        let isShadow: Bool

        init(
            name: String,
            decider: MiddlewareLimiter,
            key: ClientKeyExtractor<Context>,
            unidentifiedClients: UnidentifiedClientPolicy,
            exemptPaths: ExemptPaths,
            cost: (@Sendable (Request, Context) -> Int)?,
            headers: RateLimitHeaders,
            deniedLogLevel: Logger.Level?,
            allowedLogLevel: Logger.Level?,
            metrics: RateLimitMetrics,
            timing: DecisionTiming,
            enforcement: RateLimitEnforcement
        ) {
            self.name = name
            self.decider = decider
            self.key = key
            self.unidentifiedClients = unidentifiedClients
            self.exemptPaths = exemptPaths
            self.cost = cost
            self.headers = headers
            self.deniedLogLevel = deniedLogLevel
            self.allowedLogLevel = allowedLogLevel
            self.metrics = metrics
            self.timing = timing
            self.enforcement = enforcement
            self.isShadow = enforcement == .shadow
        }

        /// Takes `cost` tokens from `key`'s bucket, timing the decision when ``timing`` picks it.
        ///
        /// An in-memory engine is called without `await`: a synchronous call through the
        /// existential costs a third of an asynchronous one, and every request pays it.
        @inline(__always)
        func decide(_ key: ClientKey, cost: Int) async throws -> RateLimitDecision {
            let timed = self.timing.timesNextDecision()
            let start = timed ? MonotonicClock().monotonicNanoseconds() : 0
            let decision: RateLimitDecision
            if let decided = self.decider.acquireSynchronously(key, cost: cost) {
                decision = decided
            } else {
                decision = try await self.decider.limiter.acquire(key, cost: cost)
            }
            if timed {
                self.metrics.decisionDuration.recordNanoseconds(MonotonicClock().monotonicNanoseconds() - start)
            }
            return decision
        }

        /// The answer to a request without a client key; in shadow mode, only counted and logged
        /// (the caller passes the request on).
        func rejectUnidentified(_ status: HTTPResponse.Status, context: Context) -> Response {
            (self.isShadow ? self.metrics.shadowRejected : self.metrics.rejected).increment()
            if let level = self.deniedLogLevel {
                context.logger.log(
                    level: level,
                    self.isShadow
                        ? "Would reject request (shadow mode): no client key" : "Rejected request: no client key",
                    metadata: ["ratelimit.policy": "\(self.name)"]
                )
            }
            return RateLimitResponses.unidentified(status)
        }

        func rejectInvalidCost(_ cost: Int, context: Context) -> Response {
            self.metrics.errors.increment()
            let error = RateLimitError.invalidCost(cost, capacity: self.decider.policy.capacity)
            context.logger.error(
                "Rate-limit cost closure returned an invalid cost",
                metadata: ["ratelimit.policy": "\(self.name)", "ratelimit.cost": "\(cost)", "error": "\(error)"]
            )
            return RateLimitResponses.failure(.internalServerError)
        }

        func answerLimiterFailure(_ error: any Error, context: Context) -> Response {
            self.metrics.errors.increment()
            context.logger.error(
                "Rate limiter failed", metadata: ["ratelimit.policy": "\(self.name)", "error": "\(error)"])
            return RateLimitResponses.failure(.serviceUnavailable)
        }

        func deny(_ decision: RateLimitDecision, key: ClientKey, cost: Int, context: Context) -> Response {
            self.metrics.denied.increment()
            let retryAfter = RateLimitHeaders.retryAfterSeconds(decision)
            self.logDenial("Rate limit exceeded", retryAfter: retryAfter, key: key, cost: cost, context: context)
            var response = RateLimitResponses.tooManyRequests(retryAfterSeconds: retryAfter)
            self.headers.write(decision, to: &response.headers)
            return response
        }

        /// A denial in shadow mode: counted and logged; the caller passes the request on.
        func recordShadowDenial(_ decision: RateLimitDecision, key: ClientKey, cost: Int, context: Context) {
            self.metrics.shadowDenied.increment()
            self.logDenial(
                "Rate limit would be exceeded (shadow mode)", retryAfter: RateLimitHeaders.retryAfterSeconds(decision),
                key: key, cost: cost, context: context)
        }

        private func logDenial(
            _ message: Logger.Message, retryAfter: Int64?, key: ClientKey, cost: Int, context: Context
        ) {
            guard let level = self.deniedLogLevel else { return }
            context.logger.log(
                level: level,
                message,
                metadata: [
                    "ratelimit.policy": "\(self.name)",
                    "ratelimit.client": "\(key)",
                    "ratelimit.cost": "\(cost)",
                    "ratelimit.retry_after": "\(retryAfter.map(String.init) ?? "never")",
                ]
            )
        }

        func recordAllowed(_ decision: RateLimitDecision, key: ClientKey, context: Context) {
            self.metrics.allowed.increment()
            if let level = self.allowedLogLevel {
                context.logger.log(
                    level: level,
                    "Rate limit allowed request",
                    metadata: [
                        "ratelimit.policy": "\(self.name)",
                        "ratelimit.client": "\(key)",
                        "ratelimit.remaining": "\(decision.remaining)",
                    ]
                )
            }
        }
    }
}
