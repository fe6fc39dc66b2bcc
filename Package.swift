// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "swift-rate-limit",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "RateLimit", targets: ["RateLimit"]),
        .library(name: "RateLimitTesting", targets: ["RateLimitTesting"]),
    ],
    targets: [
        // What Glibc does not export to Swift: the rseq CPU id, the adaptive pthread mutex and the
        // coarse monotonic clock.
        .target(name: "CRateLimitShims"),
        .target(name: "RateLimit", dependencies: ["CRateLimitShims"]),
        .target(name: "RateLimitTesting", dependencies: ["RateLimit"]),
        .testTarget(name: "RateLimitTests", dependencies: ["RateLimit", "RateLimitTesting"]),
    ],
    swiftLanguageModes: [.v6]
)
