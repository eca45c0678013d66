import ErasureRelay
import Testing

@Suite("Configuration")
struct ConfigurationTests {
    @Test func readsTheDocumentedExample() throws {
        let configuration = try RelayConfiguration(yaml: """
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
            """, environment: ["BRAZE_API_KEY": "brz-secret"])
        #expect(configuration.kafka.bootstrapServers == "broker-1:9092,broker-2:9092")
        #expect(configuration.kafka.requestTopic == "user-erasure")
        #expect(configuration.kafka.deadLetterTopic == "user-erasure-dlq")
        #expect(configuration.kafka.properties == ["security.protocol": "SASL_SSL", "sasl.username": "relay"])
        #expect(configuration.http.port == 9191)
        #expect(configuration.vendors.count == 4)
        let braze = try #require(configuration.vendors[.braze])
        guard case .braze(let apiKey, let prioritization) = braze.account else { Issue.record("not braze"); return }
        #expect(apiKey.value == "brz-secret")
        #expect(prioritization == ["identified", "most_recently_updated"])
        #expect(configuration.vendors[.moengage]?.baseURL == "https://api-02.moengage.com")
        #expect(configuration.vendors[.engagelab]?.baseURL == "https://pushapi-usva.engagelab.com")
        #expect(configuration.vendors[.engagelab]?.maxConcurrency == 2)
        #expect(configuration.vendors[.engagelab]?.rateLimit == .init(requests: 600, windowSeconds: 60))
        #expect(configuration.vendors[.moengageGDPR]?.batching.maxSize == 1)
        #expect(configuration.vendors[.braze]?.batching.lingerMilliseconds == 50)
        #expect(!configuration.effectiveDescription.contains("brz-secret"))
    }

    @Test func anEmptyFileMeansTheDefaults() throws {
        let configuration = try RelayConfiguration(yaml: "", environment: [:])
        #expect(configuration.kafka.bootstrapServers == nil)
        #expect(configuration.vendors.isEmpty)
        #expect(configuration.http.port == 9090)
    }

    @Test func readsBrazeHostsByInstanceName() throws {
        let configuration = try RelayConfiguration(
            yaml: "vendors: { braze: { instance: US-03, api_key: k } }", environment: [:]
        )
        #expect(configuration.vendors[.braze]?.baseURL == "https://rest.iad-03.braze.com")
    }

    @Test("Bad input names the key", arguments: [
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
        ("vendors: { braze: { api_key: k, email_prioritization: [identified, unidentified] } }",
         "vendors.braze.email_prioritization"),
        ("vendors: { moengage_gdpr: { app_id: a, api_key: k, max_payload_bytes: 200000 } }",
         "vendors.moengage_gdpr.max_payload_bytes"),
        ("http: { port: 70000 }", "http.port"),
        ("pipeline: { max_in_flight: 10, resume_below: 10 }", "pipeline.resume_below"),
        ("unknown: 1", "unknown"),
        ("- a\n- b", ""),
    ])
    func namesTheKey(yaml: String, key: String) {
        #expect {
            try RelayConfiguration(yaml: yaml, environment: [:])
        } throws: { error in
            (error as? ConfigurationError)?.key == key
        }
    }

    @Test func loopbackMayUsePlainHTTP() throws {
        let configuration = try RelayConfiguration(
            yaml: "vendors: { engagelab: { base_url: 'http://127.0.0.1:8080/', app_key: a, master_secret: s } }",
            environment: [:]
        )
        #expect(configuration.vendors[.engagelab]?.baseURL == "http://127.0.0.1:8080")
    }
}
