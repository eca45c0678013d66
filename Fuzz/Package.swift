// swift-tools-version: 6.2
// libFuzzer targets for what erasure-relay reads from outside: requests, the progress headers of retry-topic
// records, vendor answers, and configuration files. scripts/fuzz builds them with
// `-sanitize=fuzzer,address -parse-as-library`. SwiftPM names an executable's entry point `<Target>_main`; each
// target defines it and hands over to libFuzzer's driver.
import PackageDescription

let fuzzer: (String) -> Target = { name in
    .executableTarget(
        name: name,
        dependencies: [
            "CLibFuzzer",
            .product(name: "ErasureRelay", package: "erasure-relay"),
            .product(name: "Kafka", package: "erasure-relay"),
        ]
    )
}

let package = Package(
    name: "erasure-relay-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "erasure-relay", path: "..")
    ],
    targets: [.target(name: "CLibFuzzer")]
        + ["RequestDecoderFuzzer", "ProgressHeaderFuzzer", "VendorAnswerFuzzer", "ConfigurationFuzzer"].map(fuzzer)
)
