// swift-tools-version:6.1
// libFuzzer targets for everything swift-rate-limit parses from the network. Kept in their own
// package (like Benchmarks/) so that the library builds without sanitizer flags.
//
//   Fuzz/run.sh [seconds]          # build with ASan + coverage, run every target
//
// Each target's `main.swift` hands its check to `LLVMFuzzerRunDriver` (libFuzzer's entry point
// for programs that keep their own `main`): SwiftPM links executables with `--defsym main=…`, so
// the usual `-parse-as-library` + libFuzzer `main` does not link. `run.sh` adds the coverage
// flags and links the toolchain's `libclang_rt.fuzzer_no_main`.
import PackageDescription

let package = Package(
    name: "fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "swift-rate-limit", path: "../"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
    ],
    targets: [
        .target(name: "LibFuzzerDriver"),
        // The root package's RESP codec (Sources/RESPCodec links to Sources/RedisClient/RESP):
        // RedisClient is internal to that package, not a product another package can import.
        .target(name: "RESPCodec", dependencies: [.product(name: "NIOCore", package: "swift-nio")]),
        .executableTarget(
            name: "FuzzForwardingHeaders",
            dependencies: [
                "LibFuzzerDriver",
                .product(name: "RateLimitHummingbird", package: "swift-rate-limit"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .executableTarget(
            name: "FuzzRESP",
            dependencies: ["LibFuzzerDriver", "RESPCodec", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .executableTarget(
            name: "FuzzRedisScript",
            dependencies: [
                "LibFuzzerDriver",
                "RESPCodec",
                .product(name: "RateLimit", package: "swift-rate-limit"),
                .product(name: "RateLimitTesting", package: "swift-rate-limit"),
                .product(name: "RateLimitRedis", package: "swift-rate-limit"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "FuzzIPAddress",
            dependencies: ["LibFuzzerDriver", .product(name: "RateLimitHummingbird", package: "swift-rate-limit")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
