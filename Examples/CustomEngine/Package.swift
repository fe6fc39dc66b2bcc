// swift-tools-version:6.1
import PackageDescription

// Benchmarks an engine written outside swift-rate-limit (a GCRA limiter) against the package's
// three, with the same workloads, result files, charts and recommendation as `ratelimit-bench`.
let package = Package(
    name: "CustomEngine",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "swift-rate-limit", path: "../..")
    ],
    targets: [
        .executableTarget(
            name: "CustomEngineBenchmark",
            dependencies: [
                .product(name: "RateLimit", package: "swift-rate-limit"),
                .product(name: "RateLimitBenchmarkKit", package: "swift-rate-limit"),
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
