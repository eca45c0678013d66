// swift-tools-version: 6.2
import Foundation
import PackageDescription

// SwiftPM names a path dependency after its directory, which is whatever the clone is called.
let erasureRelay = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent

// A package of its own, as swift-nio keeps its benchmarks: `swift test` never builds the benchmark harness, and the
// benchmarks build in release mode against the library as it ships.
let package = Package(
    name: "erasure-relay-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "ErasureRelayBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "ErasureRelay", package: erasureRelay),
            ],
            path: "Benchmarks/ErasureRelayBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
            ]
        )
    ]
)
