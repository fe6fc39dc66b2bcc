// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "swift-rate-limit",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "RateLimit", targets: ["RateLimit"]),
        .library(name: "RateLimitTesting", targets: ["RateLimitTesting"]),
        .library(name: "RateLimitHummingbird", targets: ["RateLimitHummingbird"]),
        .library(name: "RateLimitRedis", targets: ["RateLimitRedis"]),
        // The harness, for benchmarking your own engine beside the package's (Examples/).
        .library(name: "RateLimitBenchmarkKit", targets: ["RateLimitBenchmarkKit"]),
        .executable(name: "ratelimit-bench", targets: ["ratelimit-bench"]),
        .executable(name: "ratelimit-demo", targets: ["RateLimitDemo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // Already in the graph (HummingbirdTesting's client); the outbound pacing test calls it.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-http-structured-headers", from: "1.7.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        .package(url: "https://github.com/ordo-one/TextTable", from: "0.0.2"),
    ],
    targets: [
        // What Glibc does not export to Swift: the rseq CPU id, the adaptive pthread mutex and the
        // coarse monotonic clock.
        .target(name: "CRateLimitShims"),

        // The engines. Free of NIO and Hummingbird on purpose.
        .target(
            name: "RateLimit",
            dependencies: ["CRateLimitShims"],
            // Pause points for the deterministic interleaving tests: debug builds only, so that
            // release builds compile every hook to nothing (see `Interleaving`).
            swiftSettings: [.define("RATELIMIT_INTERLEAVING", .when(configuration: .debug))]
        ),
        .target(name: "RateLimitTesting", dependencies: ["RateLimit"]),
        .testTarget(name: "RateLimitTests", dependencies: ["RateLimit", "RateLimitTesting", "CRateLimitShims"]),

        // HTTP: Hummingbird middleware and the demo server.
        .target(
            name: "RateLimitHummingbird",
            dependencies: [
                "RateLimit",
                "CRateLimitShims",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .executableTarget(
            name: "RateLimitDemo",
            dependencies: [
                "RateLimit",
                "RateLimitHummingbird",
                "RateLimitRedis",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .testTarget(
            name: "RateLimitHummingbirdTests",
            dependencies: [
                "RateLimitTesting",
                "RateLimit",
                "RateLimitHummingbird",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "RawStructuredFieldValues", package: "swift-http-structured-headers"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // The demo's flags, its server over TCP, and two demo processes sharing one Redis.
        .testTarget(
            name: "RateLimitDemoTests",
            dependencies: [
                "RateLimitDemo",
                "RateLimit",
                "RateLimitHummingbird",
                "RateLimitTesting",
                "RedisTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // A private redis-server process for tests: the process only, no Redis client, so that
        // the demo's tests need not depend on one.
        .target(name: "RedisTestSupport", path: "Tests/RedisTestSupport"),

        // The middleware's per-request CPU cost in process, for Benchmarks/http/run.sh.
        .executableTarget(
            name: "HTTPOverheadProbe",
            dependencies: [
                "RateLimit",
                "RateLimitHummingbird",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),

        // Many instances: the Redis engine, speaking RESP2 over SwiftNIO. The client (RESP,
        // connections, the pool) is its own target, internal to the package: it knows nothing
        // of rate limiting.
        .target(
            name: "RedisClient",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "RateLimitRedis",
            dependencies: [
                "RateLimit",
                "RedisClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .testTarget(
            name: "RateLimitRedisTests",
            dependencies: [
                "RateLimit",
                "RateLimitRedis",
                "RedisClient",
                "RateLimitTesting",
                "RedisTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),

        // The benchmark harness: the measuring machinery in a library (so that it is tested), the
        // command line in a thin executable.
        .target(
            name: "RateLimitBenchmarkKit",
            dependencies: [
                "RateLimit",
                "CRateLimitShims",
                "RateLimitTesting",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "TextTable", package: "TextTable"),
            ]
        ),
        .executableTarget(
            name: "ratelimit-bench",
            dependencies: [
                "RateLimitBenchmarkKit",
                "RateLimit",
                "RateLimitRedis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/RateLimitBench"
        ),
        .testTarget(
            name: "RateLimitBenchmarkKitTests",
            dependencies: ["RateLimitBenchmarkKit", "RateLimit", "RateLimitTesting"]
        ),
        .testTarget(name: "RateLimitBenchTests", dependencies: ["ratelimit-bench", "RateLimitBenchmarkKit"]),
    ],
    swiftLanguageModes: [.v6]
)
