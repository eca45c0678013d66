import ErasureRelay
import Foundation
import Kafka
import Testing

@Suite("Configuration from the environment and from files")
struct ConfigurationSourcesTests {
    @Test func environmentOverridesAnyKey() throws {
        let configuration = try RelayConfiguration(
            yaml: """
                kafka: { bootstrap_servers: "file:9092" }
                vendors:
                  braze: { api_key: from-file, rate_limit: { requests: 100 } }
                """,
            environment: [
                "ERASURE_RELAY__KAFKA__BOOTSTRAP_SERVERS": "env:9092",
                "ERASURE_RELAY__VENDORS__BRAZE__RATE_LIMIT__REQUESTS": "250",
                "ERASURE_RELAY__HTTP__PORT": "9191",
                "erasure_relay__vendors__engagelab__app_key": "ek",
                "ERASURE_RELAY__VENDORS__ENGAGELAB__MASTER_SECRET": "es",
                "ERASURE_RELAY__KAFKA__PROPERTIES__SASL.USERNAME": "relay",
            ]
        )
        #expect(configuration.kafka.bootstrapServers == "env:9092")
        #expect(configuration.vendors[.braze]?.rateLimit.requests == 250)
        #expect(configuration.http.port == 9191)
        #expect(configuration.kafka.properties["sasl.username"] == "relay")
        guard let account = configuration.vendors[.engagelab]?.account as? EngageLabAccount else {
            Issue.record("engagelab not enabled from the environment")
            return
        }
        #expect(account.appKey == "ek" && account.masterSecret.value == "es")
    }

    @Test func anOverrideOfAnUnknownKeyIsAnError() {
        #expect {
            try RelayConfiguration(yaml: "", environment: ["ERASURE_RELAY__KAFKA__BOOTSTRAP": "x"])
        } throws: { error in
            (error as? ConfigurationError)?.key == "kafka.bootstrap"
        }
    }

    @Test func secretsAreReadFromFilesAndNeverPrinted() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("braze-key-\(UUID())").path
        try "  brz-from-file\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let configuration = try RelayConfiguration(
            yaml: "vendors: { braze: { api_key_file: \(path) } }",
            environment: [:]
        )
        guard let account = configuration.vendors[.braze]?.account as? BrazeAccount else {
            Issue.record("braze not configured")
            return
        }
        #expect(account.apiKey.value == "brz-from-file")
        #expect(!configuration.effectiveDescription.contains("brz-from-file"))
        #expect(!"\(account.apiKey)".contains("brz"))
        #expect {
            try RelayConfiguration(yaml: "vendors: { braze: { api_key_file: /nonexistent/key } }", environment: [:])
        } throws: { error in
            (error as? ConfigurationError)?.key == "vendors.braze.api_key_file"
        }
        #expect {
            try RelayConfiguration(yaml: "vendors: { braze: { api_key: a, api_key_file: \(path) } }", environment: [:])
        } throws: { error in
            (error as? ConfigurationError)?.key == "vendors.braze.api_key"
        }
    }

    @Test func kafkaSecretsAreMaskedInTheEffectiveConfiguration() throws {
        let secrets = [
            "sasl.password", "sasl.oauthbearer.config", "sasl.oauthbearer.client.secret", "ssl.key.password",
            "ssl.keystore.password", "ssl.key.pem", "ssl.certificate.pem", "ssl.ca.pem", "sasl.jaas.config",
            "custom.password.store", "my.secret.thing",
        ]
        var properties = Dictionary(uniqueKeysWithValues: secrets.map { ($0, "value-of-\($0)") })
        properties["security.protocol"] = "SSL"
        let yaml =
            "kafka: { properties: { \(properties.map { "\($0.key): \"\($0.value)\"" }.joined(separator: ", ")) } }"
        let text = try RelayConfiguration(yaml: yaml, environment: [:]).effectiveDescription
        for name in secrets { #expect(!text.contains("value-of-\(name)"), "\(name)") }
        #expect(text.contains("security.protocol: \"SSL\""))
    }

    @Test func theEnvironmentAloneIsAConfiguration() throws {
        #expect(try RelayConfiguration.load(file: nil, environment: ["HOME": "/root"]) == nil)
        let configuration = try #require(
            try RelayConfiguration.load(
                file: nil,
                environment: [
                    "ERASURE_RELAY__KAFKA__BOOTSTRAP_SERVERS": "broker-1:9092",
                    "ERASURE_RELAY__VENDORS__BRAZE__API_KEY": "from-env",
                    "ERASURE_RELAY__PARKING__SIGNING_KEY": String(repeating: "k", count: 32),
                ]
            )
        )
        #expect(configuration.kafka.bootstrapServers == "broker-1:9092")
        #expect(configuration.vendors.keys.sorted() == [.braze])
        try configuration.validateForService()
    }
}
