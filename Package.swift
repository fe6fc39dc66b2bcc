// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "swift-rate-limit",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "RateLimit", targets: ["RateLimit"]),
        .library(name: "RateLimitTesting", targets: ["RateLimitTesting"]),
        .executable(name: "ratelimit-bench", targets: ["ratelimit-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // What Glibc does not export to Swift: the rseq CPU id, the adaptive pthread mutex and the
        // coarse monotonic clock.
        .target(name: "CRateLimitShims"),
        .target(name: "RateLimit", dependencies: ["CRateLimitShims"]),
        .target(name: "RateLimitTesting", dependencies: ["RateLimit"]),
        .testTarget(name: "RateLimitTests", dependencies: ["RateLimit", "RateLimitTesting"]),

        // The benchmark harness: the measuring machinery in a library (so that it is tested), the
        // command line in a thin executable.
        .target(
            name: "RateLimitBenchmarkKit",
            dependencies: [
                "RateLimit",
                "RateLimitTesting",
                "CRateLimitShims",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        .executableTarget(
            name: "ratelimit-bench",
            dependencies: [
                "RateLimitBenchmarkKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/RateLimitBench"
        ),
        .testTarget(name: "RateLimitBenchmarkKitTests", dependencies: ["RateLimitBenchmarkKit"]),
    ],
    swiftLanguageModes: [.v6]
)
