import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Logging
import Testing
import VendorSandbox

/// A configuration mistake must stop the service with one line naming the key, never turn into an in-memory broker,
/// a sandbox, or `completed` outcomes for erasures no vendor carried out.
@Suite("Configuration fallbacks of the service process", .serialized, .timeLimit(.minutes(3)))
struct ConfigurationFallbackTests {
    let logger = TestLogs.logger(label: "fallbacks")
    let key = testSigningKeys[0].value

    /// The environment of a child process with no `ERASURE_RELAY__` variable of the test's own.
    private func environment(_ variables: [String: String] = [:]) -> [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.uppercased().hasPrefix("ERASURE_RELAY__") }
            .merging(variables) { _, new in new }
    }

    /// Runs `arguments` and expects exit 1 with one line on standard error naming `key`, and no embedded part.
    private func expectRefusal(
        _ arguments: [String],
        variables: [String: String] = [:],
        naming key: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let process = try ChildProcess(erasureRelayExecutable(), arguments, environment: environment(variables))
        let status = try await process.waitForExit(timeout: .seconds(30))
        #expect(status == 1, "\(process.standardError)", sourceLocation: sourceLocation)
        let lines = process.standardError.split(separator: "\n").filter { $0.contains("configuration") }
        #expect(lines.count == 1, "\(process.standardError)", sourceLocation: sourceLocation)
        #expect(
            lines.first?.contains("'\(key)'") == true,
            "\(process.standardError)",
            sourceLocation: sourceLocation
        )
        #expect(!process.standardError.contains("Usage:"), sourceLocation: sourceLocation)
        #expect(!process.standardOutput.contains("Embedded Kafka broker"), sourceLocation: sourceLocation)
        #expect(!process.standardOutput.contains("in-process sandbox"), sourceLocation: sourceLocation)
    }

    @Test func aFileWithoutBrokersIsRefusedNotRunOnAnInMemoryBroker() async throws {
        try await withConfigFile(
            """
            vendors: { braze: { api_key: k } }
            parking: { signing_key: "\(key)" }
            """
        ) { path in
            try await expectRefusal(["run", "--config", path], naming: "kafka.bootstrap_servers")
            try await expectRefusal(["check-config", "--config", path], naming: "kafka.bootstrap_servers")
        }
    }

    @Test func checkConfigNamesEveryProblemInOneRun() async throws {
        try await withConfigFile(
            """
            kafka: { bootstrap_servers: "${NOT_SET_BROKERS}" }
            vendors: { braze: { api_key: "${NOT_SET_BRAZE_KEY}" } }
            parking: { signing_key: "${NOT_SET_SIGNING_KEY}" }
            """
        ) { path in
            let process = try ChildProcess(
                erasureRelayExecutable(),
                ["check-config", "--config", path, "--log-level", "warning"],
                environment: environment([:])
            )
            #expect(try await process.waitForExit(timeout: .seconds(30)) == 1)
            for (key, variable) in [
                ("kafka.bootstrap_servers", "NOT_SET_BROKERS"), ("vendors.braze.api_key", "NOT_SET_BRAZE_KEY"),
                ("parking.signing_key", "NOT_SET_SIGNING_KEY"),
            ] {
                #expect(
                    process.standardError.contains("'\(key)': environment variable \(variable) is not set"),
                    "\(process.standardError)"
                )
            }
        }
        try await withConfigFile("kafka: { group_id: g }") { path in
            let process = try ChildProcess(
                erasureRelayExecutable(),
                ["check-config", "--config", path],
                environment: environment([:])
            )
            #expect(try await process.waitForExit(timeout: .seconds(30)) == 1)
            for key in ["kafka.bootstrap_servers", "vendors", "parking.signing_key"] {
                #expect(process.standardError.contains("'\(key)'"), "\(process.standardError)")
            }
        }
    }

    @Test func aConfigurationWithoutVendorsIsRefused() async throws {
        try await withConfigFile(
            """
            kafka: { bootstrap_servers: "127.0.0.1:1" }
            parking: { signing_key: "\(key)" }
            """
        ) { path in
            try await expectRefusal(["run", "--config", path], naming: "vendors")
        }
    }

    @Test func aConfigurationWithoutASigningKeyIsRefused() async throws {
        try await withConfigFile(
            """
            kafka: { bootstrap_servers: "127.0.0.1:1" }
            vendors: { braze: { api_key: k } }
            """
        ) { path in
            try await expectRefusal(["run", "--config", path], naming: "parking.signing_key")
        }
    }

    @Test func anyVariableMakesTheEnvironmentAConfigurationThatNeedsBrokers() async throws {
        try await expectRefusal(
            ["run"],
            variables: ["ERASURE_RELAY__VENDORS__BRAZE__API_KEY": "k", "ERASURE_RELAY__PARKING__SIGNING_KEY": key],
            naming: "kafka.bootstrap_servers"
        )
    }

    @Test func embeddedRefusesBrokersOrVendorsItWouldIgnore() async throws {
        try await withConfigFile("kafka: { bootstrap_servers: \"127.0.0.1:1\" }") { path in
            try await expectRefusal(["run", "--embedded", "--config", path], naming: "kafka.bootstrap_servers")
        }
        try await withConfigFile("vendors: { braze: { api_key: k } }") { path in
            try await expectRefusal(["run", "--embedded", "--config", path], naming: "vendors")
        }
    }

    @Test func aPlainHTTPVendorHostThatOnlyLooksLikeLoopbackIsRefused() async throws {
        try await withConfigFile(
            """
            kafka: { bootstrap_servers: "127.0.0.1:1" }
            vendors: { braze: { api_key: k, base_url: "http://127.attacker.example" } }
            parking: { signing_key: "\(key)" }
            """
        ) { path in
            try await expectRefusal(["run", "--config", path], naming: "vendors.braze.base_url")
        }
    }

    @Test func theEnvironmentAloneConfiguresBrokersAndVendors() async throws {
        let executable = erasureRelayExecutable()
        let broker = try ChildProcess(executable, ["dev-broker", "--partitions", "1"])
        let bootstrap = try await broker.firstLine()
        try await withSandbox(logger: logger) { sandbox async throws in
            let urls = await sandbox.baseURLs()
            let relay = try ChildProcess(
                executable,
                ["run"],
                environment: environment([
                    "ERASURE_RELAY__KAFKA__BOOTSTRAP_SERVERS": bootstrap,
                    "ERASURE_RELAY__KAFKA__GROUP_ID": "environment-only",
                    "ERASURE_RELAY__KAFKA__PROPERTIES__SESSION.TIMEOUT.MS": "6000",
                    "ERASURE_RELAY__VENDORS__BRAZE__API_KEY": "sandbox-braze-key",
                    "ERASURE_RELAY__VENDORS__BRAZE__BASE_URL": urls[.braze]!,
                    "ERASURE_RELAY__PARKING__SIGNING_KEY": key,
                    "ERASURE_RELAY__HTTP__HOST": "127.0.0.1",
                    "ERASURE_RELAY__HTTP__PORT": "0",
                ])
            )
            try await Kcat.produce(
                bootstrap: bootstrap,
                topic: "user-erasure",
                lines: [requestJSON(id: "from-environment", subject: ["external_id": "u-env"])]
            )
            let outcomes = try await Kcat.consume(
                bootstrap: bootstrap,
                topic: "user-erasure-outcomes",
                count: 1,
                timeout: .seconds(90)
            )
            let outcome = try JSONDecoder().decode(Outcome.self, from: Data(outcomes[0].utf8))
            #expect(outcome.requestID == "from-environment")
            #expect(outcome.status == .completed)
            #expect(outcome.vendors.map(\.vendor) == [.braze])
            #expect(await sandbox.record(of: .braze).deleted["external_ids"] == ["u-env"])
            #expect(!relay.standardOutput.contains("Embedded Kafka broker"))
            relay.signal(SIGTERM)
            #expect(try await relay.waitForExit(timeout: .seconds(40)) == 0, "\(relay.standardError)")
        }
        broker.signal(SIGTERM)
        _ = try await broker.waitForExit(timeout: .seconds(20))
    }
}
