import Logging
import Metrics
import Prometheus

// ratelimit-demo: the tutorial's API, rate limited. See README-section.md.
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// sysexits.h EX_USAGE: the command was used incorrectly.
let exitUsage: Int32 = 64

/// Writes one line to standard error.
func printError(_ message: String) {
    var line = "ratelimit-demo: error: \(message)\n"
    line.withUTF8 { bytes in
        _ = write(STDERR_FILENO, bytes.baseAddress, bytes.count)
    }
}

let configuration: DemoConfiguration
do {
    configuration = try DemoConfiguration.parse(Array(CommandLine.arguments.dropFirst()))
} catch .help(let text) {
    print(text)
    exit(0)
} catch .usage(let message) {
    printError(message)
    exit(exitUsage)
}

var logger = Logger(label: "ratelimit-demo")
logger.logLevel = configuration.logLevel

let registry = PrometheusCollectorRegistry()
MetricsSystem.bootstrap(DemoApplication.metricsFactory(registry))

do {
    let (app, shutdown) = try DemoApplication.build(configuration: configuration, registry: registry, logger: logger)
    logger.info(
        "Starting",
        metadata: [
            "engine":
                "\(configuration.redisURL == nil ? configuration.engine.rawValue : "redis (\(configuration.redisFailure) when unreachable)")",
            "policy": "\(configuration.policy.map(\.description) ?? "none")",
            "headers": "\(configuration.headerStyle)",
            "decision_timing": "\(configuration.decisionTiming)",
            "trusted_proxies": "\(configuration.trustedProxies)",
        ]
    )
    // Runs until SIGINT or SIGTERM, then stops accepting, finishes in-flight requests and exits.
    try await app.runService()
    await shutdown()
    logger.info("Stopped")
} catch {
    printError("\(error)")
    exit(1)
}
