import ErasureRelay
import Foundation
import Kafka
import Testing

@Suite("Configuration")
struct ConfigurationTests {
    @Test func readsTheDocumentedExample() throws {
        let configuration = try RelayConfiguration(
            yaml: """
                kafka:
                  bootstrap_servers: "broker-1:9092,broker-2:9092"
                  group_id: "erasure-relay"
                  properties: { security.protocol: SASL_SSL, sasl.username: "${SASL_USER:-relay}" }
                vendors:
                  braze:         { base_url: "https://rest.iad-01.braze.com", api_key: "${BRAZE_API_KEY}",
                                   rate_limit: { requests: 20000, window_seconds: 60 } }
                  moengage:      { data_center: "02", workspace_id: "WS", api_key: "k",
                                   rate_limit: { requests: 5000, window_seconds: 60 } }
                  moengage_gdpr: { base_url: "https://api-01.moengage.com", app_id: "APP", api_key: "k",
                                   batch: { max_size: 1 } }
                  engagelab:     { region: "usva", app_key: "a", master_secret: "s", max_concurrency: 2 }
                http:
                  port: 9191
                """,
            environment: ["BRAZE_API_KEY": "brz-secret"]
        )
        #expect(configuration.kafka.bootstrapServers == "broker-1:9092,broker-2:9092")
        #expect(configuration.kafka.requestTopic == "user-erasure")
        #expect(configuration.kafka.deadLetterTopic == "user-erasure-dlq")
        #expect(configuration.kafka.properties == ["security.protocol": "SASL_SSL", "sasl.username": "relay"])
        #expect(configuration.http.port == 9191)
        #expect(configuration.vendors.count == 4)
        let braze = try #require(configuration.vendors[.braze])
        guard let account = braze.account as? BrazeAccount else {
            Issue.record("not braze")
            return
        }
        #expect(account.apiKey.value == "brz-secret")
        #expect(account.emailPrioritization == ["identified", "most_recently_updated"])
        #expect(configuration.vendors[.moengage]?.baseURL == "https://api-02.moengage.com")
        #expect(configuration.vendors[.engagelab]?.baseURL == "https://pushapi-usva.engagelab.com")
        #expect(configuration.vendors[.engagelab]?.maxConcurrency == 2)
        #expect(configuration.vendors[.engagelab]?.rateLimit == .init(requests: 500, windowSeconds: 1))
        #expect(configuration.vendors[.moengageGDPR]?.batching.maxSize == 1)
        #expect(configuration.vendors[.braze]?.batching.lingerMilliseconds == 50)
        #expect(!configuration.effectiveDescription.contains("brz-secret"))
    }

    @Test func anEmptyFileMeansTheDefaults() throws {
        let configuration = try RelayConfiguration(yaml: "", environment: [:])
        #expect(configuration.kafka.bootstrapServers == nil)
        #expect(configuration.vendors.isEmpty)
        #expect(configuration.http.port == 9090)
        #expect(configuration.kafka.retryTopic == "user-erasure-retry")
        #expect(configuration.parking == RelayConfiguration.Parking())
        #expect(configuration.parking.maxParks == 24)
    }

    @Test func readsParking() throws {
        let configuration = try RelayConfiguration(
            yaml: """
                kafka: { retry_topic: "erasure-retry" }
                parking: { max_parks: 5, initial_delay_seconds: 10, max_delay_seconds: 90 }
                """,
            environment: [:]
        )
        #expect(configuration.kafka.retryTopic == "erasure-retry")
        #expect(configuration.kafka.topics.contains("erasure-retry"))
        #expect(configuration.parking.maxParks == 5)
        #expect(configuration.parking.initialDelaySeconds == 10)
        #expect(configuration.parking.maxDelaySeconds == 90)
        #expect(configuration.effectiveDescription.contains("retry_topic: \"erasure-retry\""))
        #expect(configuration.effectiveDescription.contains("max_parks: 5"))
    }

    @Test func readsBrazeHostsByInstanceName() throws {
        let configuration = try RelayConfiguration(
            yaml: "vendors: { braze: { instance: US-03, api_key: k } }",
            environment: [:]
        )
        #expect(configuration.vendors[.braze]?.baseURL == "https://rest.iad-03.braze.com")
    }

    /// A vendor with a burst limit and a steady one: `rate_limit` takes a list, and each limit keeps its own values.
    @Test func rateLimitTakesAListOfLimitsThatHoldAtOnce() throws {
        let yaml = """
            vendors:
              braze:
                api_key: k
                rate_limit:
                  - { requests: 3, window_seconds: 1 }
                  - { requests: 60, window_seconds: 60, reserve: 0.1 }
            """
        let settings = try #require(try RelayConfiguration(yaml: yaml, environment: [:]).vendors[.braze])
        #expect(
            settings.rateLimits == [
                .init(requests: 3, windowSeconds: 1), .init(requests: 60, windowSeconds: 60, reserve: 0.1),
            ]
        )
        let single = try RelayConfiguration(
            yaml: "vendors: { braze: { api_key: k, rate_limit: { requests: 5 } } }",
            environment: [:]
        )
        #expect(single.vendors[.braze]?.rateLimits == [.init(requests: 5, windowSeconds: 60)])
        let described = try RelayConfiguration(yaml: yaml, environment: [:]).effectiveDescription
        #expect(
            described.contains(
                "rate_limit: [{ requests: 3, window_seconds: 1, reserve: 0.0 }, { requests: 60, window_seconds: 60, reserve: 0.1 }]"
            )
        )
    }

    @Test(
        "Bad input names the key",
        arguments: [
            ("kafka: { bootstrap_servers: [a, b] }", "kafka.bootstrap_servers"),
            ("kafka: { group: x }", "kafka.group"),
            ("vendors: { mailchimp: {} }", "vendors.mailchimp"),
            ("vendors: { braze: { base_url: 'https://x.example' } }", "vendors.braze.api_key"),
            ("vendors: { braze: { api_key: '${NOT_SET}' } }", "vendors.braze.api_key"),
            ("vendors: { braze: { api_key: k, base_url: 'http://rest.example.com' } }", "vendors.braze.base_url"),
            ("vendors: { braze: { api_key: k, instance: US-99 } }", "vendors.braze.instance"),
            ("vendors: { braze: { api_key: k, rate_limit: { requests: 0 } } }", "vendors.braze.rate_limit.requests"),
            ("vendors: { braze: { api_key: k, rate_limit: { requests: many } } }", "vendors.braze.rate_limit.requests"),
            ("vendors: { braze: { api_key: k, batch: { max_size: 51 } } }", "vendors.braze.batch.max_size"),
            (
                "vendors: { braze: { api_key: k, rate_limit: [{ requests: 3 }, { requests: 0 }] } }",
                "vendors.braze.rate_limit[1].requests"
            ),
            (
                "vendors: { braze: { api_key: k, rate_limit: [{ requests: 3, burst: 9 }] } }",
                "vendors.braze.rate_limit[0].burst"
            ),
            ("vendors: { braze: { api_key: k, rate_limit: [] } }", "vendors.braze.rate_limit"),
            ("outcomes: { min_retention_days: 0 }", "outcomes.min_retention_days"),
            ("outcomes: { require_retention: maybe }", "outcomes.require_retention"),
            (
                "vendors: { braze: { api_key: k, email_prioritization: [identified, unidentified] } }",
                "vendors.braze.email_prioritization"
            ),
            (
                "vendors: { moengage_gdpr: { app_id: a, api_key: k, max_payload_bytes: 200000 } }",
                "vendors.moengage_gdpr.max_payload_bytes"
            ),
            ("http: { port: 70000 }", "http.port"),
            ("pipeline: { max_in_flight: 10, resume_below: 11 }", "pipeline.resume_below"),
            // Fewer than 0 requests are never in flight: paused partitions would never resume.
            ("pipeline: { max_in_flight: 10, resume_below: 0 }", "pipeline.resume_below"),
            ("parking: { max_parks: -1 }", "parking.max_parks"),
            ("parking: { initial_delay_seconds: 600, max_delay_seconds: 60 }", "parking.initial_delay_seconds"),
            ("parking: { delay: 5 }", "parking.delay"),
            ("parking: { signing_key: too-short }", "parking.signing_key"),
            ("parking: { signing_key: [\(String(repeating: "k", count: 32)), short] }", "parking.signing_key"),
            (
                "parking: { signing_key: \(String(repeating: "k", count: 32)), signing_key_file: /x }",
                "parking.signing_key"
            ),
            ("parking: { signing_key_file: /nonexistent/key }", "parking.signing_key_file"),
            (
                "kafka: { property_files: { sasl.password: /nonexistent/password } }",
                "kafka.property_files.sasl.password"
            ),
            (
                "vendors: { engagelab: { base_url: 'http://127.attacker.example', app_key: a, master_secret: s } }",
                "vendors.engagelab.base_url"
            ),
            (
                "vendors: { engagelab: { base_url: 'http://localhost.attacker.example', app_key: a, master_secret: s } }",
                "vendors.engagelab.base_url"
            ),
            (
                "vendors: { engagelab: { base_url: 'http://127.0.0.1.nip.io', app_key: a, master_secret: s } }",
                "vendors.engagelab.base_url"
            ),
            (
                "vendors: { engagelab: { base_url: 'http://[::2]:80', app_key: a, master_secret: s } }",
                "vendors.engagelab.base_url"
            ),
            (
                "vendors: { engagelab: { base_url: 'http://10.0.0.1', app_key: a, master_secret: s } }",
                "vendors.engagelab.base_url"
            ),
            ("unknown: 1", "unknown"),
            ("- a\n- b", ""),
        ]
    )
    func namesTheKey(yaml: String, key: String) {
        #expect {
            try RelayConfiguration(yaml: yaml, environment: [:])
        } throws: { error in
            (error as? ConfigurationError)?.key == key
        }
    }

    /// A path mistyped as a log or a data file fails with its key's name, not by filling memory or by sending the
    /// whole file as a credential.
    @Test func filesBeyondTheirBoundAreRefusedNamingTheKey() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("large-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let secretBound = 1 << 20
        try String(repeating: "k", count: secretBound + 1).write(toFile: path, atomically: true, encoding: .utf8)
        for (yaml, key) in [
            ("parking: { signing_key_file: \(path) }", "parking.signing_key_file"),
            ("vendors: { braze: { api_key_file: \(path) } }", "vendors.braze.api_key_file"),
            ("kafka: { property_files: { sasl.password: \(path) } }", "kafka.property_files.sasl.password"),
        ] {
            #expect {
                try RelayConfiguration(yaml: yaml, environment: [:])
            } throws: { error in
                (error as? ConfigurationError)?.key == key
                    && (error as? ConfigurationError)?.message.contains("larger than 1024 KiB") == true
            }
        }
        // A comment of 4 MiB is still no configuration.
        try ("# " + String(repeating: "x", count: 4 << 20)).write(toFile: path, atomically: true, encoding: .utf8)
        #expect {
            try RelayConfiguration(contentsOfFile: path, environment: [:])
        } throws: { error in
            (error as? ConfigurationError)?.message.contains("larger than 4096 KiB") == true
        }
    }

    @Test(
        "Loopback, read as an address, may use plain HTTP",
        arguments: [
            "http://127.0.0.1:8080/", "http://127.1.2.3", "http://localhost:9", "http://LOCALHOST",
            "http://[::1]:8080", "http://[0:0:0:0:0:0:0:1]", "http://[::ffff:127.0.0.1]",
        ]
    )
    func loopbackMayUsePlainHTTP(url: String) throws {
        let configuration = try RelayConfiguration(
            yaml: "vendors: { engagelab: { base_url: '\(url)', app_key: a, master_secret: s } }",
            environment: [:]
        )
        #expect(configuration.vendors[.engagelab]?.baseURL.hasPrefix("http://") == true)
    }

    @Test func aPipelineOfOneStillResumes() throws {
        let configuration = try RelayConfiguration(yaml: "pipeline: { max_in_flight: 1 }", environment: [:])
        #expect(configuration.pipeline.resumeBelow == 1)
        var intake = Intake(limits: .init(pipeline: configuration.pipeline, parking: .init()), heldTopics: ["retry"])
        let partition = TopicPartition(topic: "requests", partition: 0)
        intake.assigned([partition])
        let start = ContinuousClock.now
        let actions = intake.read(
            ConsumedRecord(KafkaMessage(topicPartition: partition, offset: 0, key: nil, value: [], headers: [])),
            now: start
        )
        guard case .start(_, let ticket) = actions.first else {
            Issue.record("the message starts")
            return
        }
        #expect(
            intake.tick(now: start.advanced(by: .seconds(2))).contains {
                if case .fetch(.pauseAll) = $0 { true } else { false }
            }
        )
        _ = intake.finished(ticket)
        #expect(
            intake.tick(now: start.advanced(by: .seconds(3))).contains {
                if case .fetch(.resumeAll) = $0 { true } else { false }
            }
        )
    }

    /// A Kafka secret mounted as a file reaches librdkafka without its trailing newline, is masked where the
    /// configuration is shown, and may not be given twice.
    @Test func kafkaPropertiesAreReadFromFiles() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("password-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "s3cret-from-file\n".write(toFile: path, atomically: true, encoding: .utf8)
        let configuration = try RelayConfiguration(
            yaml: "kafka: { properties: { sasl.username: relay }, property_files: { sasl.password: \(path) } }",
            environment: [:]
        )
        #expect(configuration.kafka.properties == ["sasl.username": "relay", "sasl.password": "s3cret-from-file"])
        #expect(!configuration.effectiveDescription.contains("s3cret-from-file"))
        #expect(throws: ConfigurationError.self) {
            try RelayConfiguration(
                yaml: "kafka: { properties: { sasl.password: x }, property_files: { sasl.password: \(path) } }",
                environment: [:]
            )
        }
    }

    @Test func signingKeysAreAListWhoseFirstSigns() throws {
        let keys = ["new-key-0123456789abcdef0123456789", "old-key-0123456789abcdef0123456789"]
        let inline = try RelayConfiguration(
            yaml: "parking: { signing_key: [\(keys[0]), '${OLD_KEY}'] }",
            environment: ["OLD_KEY": keys[1]]
        )
        #expect(inline.parking.signingKeys.map(\.value) == keys)
        #expect(!inline.effectiveDescription.contains("0123456789abcdef"))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "\(keys[0])\n\n\(keys[1])\n".write(toFile: path, atomically: true, encoding: .utf8)
        let fromFile = try RelayConfiguration(yaml: "parking: { signing_key_file: \(path) }", environment: [:])
        #expect(fromFile.parking.signingKeys.map(\.value) == keys)
    }

    @Test(
        "A service needs brokers, a vendor and a signing key, and says which is missing",
        arguments: [
            (
                "vendors: { braze: { api_key: k } }\nparking: { signing_key: \(String(repeating: "k", count: 32)) }",
                "kafka.bootstrap_servers"
            ),
            (
                "kafka: { bootstrap_servers: b:9092 }\nparking: { signing_key: \(String(repeating: "k", count: 32)) }",
                "vendors"
            ),
            ("kafka: { bootstrap_servers: b:9092 }\nvendors: { braze: { api_key: k } }", "parking.signing_key"),
        ]
    )
    func aServiceConfigurationNamesWhatIsMissing(yaml: String, key: String) throws {
        let configuration = try RelayConfiguration(yaml: yaml, environment: [:])
        #expect {
            try configuration.validateForService()
        } throws: { error in
            (error as? ConfigurationError)?.key == key
        }
    }
}
