// swift-tools-version:6.1
// Allocation and throughput benchmarks (package-benchmark), kept in their own package — as
// swift-nio does — so that the library does not depend on the benchmark tooling.
//
//   swift package benchmark                      # run
//   swift package benchmark thresholds check     # the CI gate: malloc counts in Thresholds/
import PackageDescription

let package = Package(
    name: "benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "swift-rate-limit", path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "RateLimitBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "RateLimit", package: "swift-rate-limit"),
            ],
            path: "Benchmarks/RateLimitBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ],
    swiftLanguageModes: [.v6]
)
