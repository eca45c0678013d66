import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Kafka
import Logging
import Testing
import VendorSandbox

@Suite("The service as its own process", .serialized, .timeLimit(.minutes(3)))
struct ServiceProcessTests {
    let logger = TestLogs.logger(label: "process")

    @Test func checkConfigNamesTheKeyAtFaultAndPrintsTheEffectiveConfigurationWithSecretsMasked() async throws {
        let configPath = FileManager.default.temporaryDirectory.appendingPathComponent("erasure-relay-\(UUID()).yaml")
            .path
        defer { try? FileManager.default.removeItem(atPath: configPath) }

        try """
        vendors:
          braze: { api_key: braze-secret-value, batch: { max_size: 80 } }
        """.write(toFile: configPath, atomically: true, encoding: .utf8)
        let rejected = try ChildProcess(erasureRelayExecutable(), ["check-config", "--config", configPath])
        #expect(try await rejected.waitForExit() != 0)
        #expect(
            rejected.standardError.contains(
                "configuration key 'vendors.braze.batch.max_size': must be between 1 and 50, not 80"
            )
        )
        // A configuration mistake is not a usage mistake: usage text would bury the one line that matters.
        #expect(!rejected.standardError.contains("Usage:"))
        #expect(!rejected.standardError.contains("braze-secret-value"))

        try """
        kafka: { bootstrap_servers: "broker-1:9092" }
        vendors:
          braze: { api_key: braze-secret-value, batch: { max_size: 40 } }
        parking: { signing_key: signing-key-value-0123456789abcdef }
        """.write(toFile: configPath, atomically: true, encoding: .utf8)
        let accepted = try ChildProcess(erasureRelayExecutable(), ["check-config", "--config", configPath])
        #expect(try await accepted.waitForExit() == 0)
        #expect(accepted.standardOutput.contains("batch: { max_size: 40"))
        #expect(!accepted.standardOutput.contains("braze-secret-value"))
        #expect(!accepted.standardOutput.contains("signing-key-value"))
    }

    /// A reviewer sees what a declared vendor would send before trusting it: every configured vendor's calls for a
    /// request, credentials masked, and nothing sent (the base URL is a port nothing listens on).
    @Test func vendorsRenderPrintsEachVendorsCallsWithSecretsMasked() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("erasure-relay-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let configPath = folder.appendingPathComponent("config.yaml").path
        let requestPath = folder.appendingPathComponent("request.json").path
        try await LoopbackPort.withRefusingPort { port in
            try """
            vendors:
              braze: { api_key: braze-secret-value }
              acme:
                kind: http
                base_url: "http://127.0.0.1:\(port)"
                secrets: { token: "${ACME_TOKEN}" }
                request:
                  method: DELETE
                  url: /v2/people/{identifier}
                  auth: { header: { name: X-Acme-Key, secret: token } }
                identifiers: { custom.loyalty_id: loyalty }
                rate_limit: { requests: 5, window_seconds: 1 }
                answers: { rules: [{ status: 200-299, result: accepted }] }
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
            try
                #"{"request_id":"r-1","regulation":"gdpr","submitted_at":"2026-11-22T10:00:00Z","subject":{"email":"a@example.com","custom":{"loyalty_id":"L/9"}}}"#
                .write(toFile: requestPath, atomically: true, encoding: .utf8)
            let render = try ChildProcess(
                erasureRelayExecutable(),
                ["vendors", "render", "--config", configPath, "--request", requestPath],
                environment: ["ACME_TOKEN": "acme-secret-value"]
            )
            #expect(try await render.waitForExit() == 0)
            let output = render.standardOutput
            #expect(output.contains("acme: 1 call"))
            #expect(output.contains("DELETE http://127.0.0.1:\(port)/v2/people/L%2F9"))
            #expect(output.contains("X-Acme-Key: ********"))
            #expect(output.contains("braze: 1 call"))
            #expect(output.contains(#"{"email_addresses":[{"email":"a@example.com""#))
            #expect(!output.contains("acme-secret-value"))
            #expect(!output.contains("braze-secret-value"))

            try
                #"{"request_id":"r-2","regulation":"gdpr","submitted_at":"2026-11-22T10:00:00Z","subject":{},"vendors":["acme"]}"#
                .write(toFile: requestPath, atomically: true, encoding: .utf8)
            let rejected = try ChildProcess(
                erasureRelayExecutable(),
                ["vendors", "render", "--config", configPath, "--request", requestPath],
                environment: ["ACME_TOKEN": "acme-secret-value"]
            )
            #expect(try await rejected.waitForExit() != 0)
            #expect(rejected.standardError.contains("at subject"))
        }
    }

    /// A reviewer sees a job vendor's status call beside its erasure: how often, for how long, and its URL.
    @Test func vendorsRenderShowsAJobVendorsStatusCall() async throws {
        let requestPath = FileManager.default.temporaryDirectory.appendingPathComponent("job-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: requestPath) }
        try
            #"{"request_id":"r-1","regulation":"gdpr","submitted_at":"2026-11-22T10:00:00Z","subject":{"external_id":"u-1"}}"#
            .write(toFile: requestPath, atomically: true, encoding: .utf8)
        let render = try ChildProcess(
            erasureRelayExecutable(),
            [
                "vendors", "render", "--config",
                packageRoot().appendingPathComponent("examples/vendors/mixpanel.yaml").path,
                "--request", requestPath,
            ],
            environment: [
                "MIXPANEL_PROJECT_TOKEN": "project-1", "MIXPANEL_GDPR_OAUTH_TOKEN": "oauth-secret-value",
                "ERASURE_RELAY_SIGNING_KEY": String(repeating: "ab", count: 32),
            ]
        )
        #expect(try await render.waitForExit() == 0)
        let output = render.standardOutput
        #expect(output.contains("POST https://mixpanel.com/api/app/data-deletions/v3.0/?token=project-1"))
        #expect(output.contains("Then, every 21600 s until the job is done or failed (at most 3024000 s)"))
        #expect(output.contains("GET https://mixpanel.com/api/app/data-deletions/v3.0/JOB_ID?token=project-1"))
        #expect(!output.contains("oauth-secret-value"))
    }

    /// The embedded default exercises a declared vendor too: the in-process sandbox stands in for it, built from
    /// its definition, and the relay is pointed there.
    @Test func theEmbeddedDefaultStandsInForADeclaredVendor() async throws {
        let yaml = """
            vendors:
              acme:
                kind: http
                base_url: https://api.acme.example
                secrets: { token: "${ACME_TOKEN}" }
                request:
                  method: POST
                  url: /v1/forget
                  per: subject
                  auth: { bearer: token }
                  body: { loyalty: "{loyalty}", mail: "{mail}" }
                identifiers: { custom.loyalty_id: loyalty, email: mail }
                rate_limit: { requests: 5, window_seconds: 1 }
                answers:
                  reference: job.id
                  rules: [{ status: 202, json_path: job.state, equals: queued, result: accepted }]
            http: { host: 127.0.0.1, port: 0 }
            """
        try await withConfigFile(yaml) { configPath in
            var environment = ProcessInfo.processInfo.environment
            environment["ACME_TOKEN"] = "acme-token-value"
            let relay = try ChildProcess(
                erasureRelayExecutable(),
                ["run", "--embedded", "--config", configPath],
                environment: environment
            )
            try await relay.waitForErrorOutput(containing: "Embedded Kafka broker: ")
            let line = try #require(
                relay.standardError.split(separator: "\n").first { $0.contains("Embedded Kafka broker: ") }
            )
            let bootstrap = String(line.split(separator: " ")[3])
            #expect(relay.standardError.contains("acme http://127.0.0.1:"))
            // The commands to try it are given once the consumer is in the group, beside the line to wait for.
            try await relay.waitForErrorOutput(containing: "Ready. Send a sample request:")
            try await relay.waitForOutput(containing: ErasureRelayService.readyMessage)
            #expect(relay.standardError.contains("-t user-erasure-outcomes -o beginning -e"))
            try await Kcat.produce(
                bootstrap: bootstrap,
                topic: "user-erasure",
                lines: [
                    requestJSON(
                        id: "declared-1",
                        subject: ["email": "a@example.com", "custom": ["loyalty_id": "L-1"]],
                        vendors: ["acme"]
                    )
                ]
            )
            let outcomes = try await Kcat.consume(
                bootstrap: bootstrap,
                topic: "user-erasure-outcomes",
                count: 1,
                timeout: .seconds(90)
            )
            let outcome = try #require(try JSONSerialization.jsonObject(with: Data(outcomes[0].utf8)) as? [String: Any])
            #expect(outcome["status"] as? String == "completed")
            let vendors = try #require(outcome["vendors"] as? [[String: Any]])
            #expect(vendors.compactMap { $0["vendor"] as? String } == ["acme"])
            #expect(vendors.first?["identifiers"] as? Int == 2)
            #expect((vendors.first?["reference"] as? String)?.hasPrefix("sandbox-") == true)
            #expect(!outcomes[0].contains("L-1") && !outcomes[0].contains("a@example.com"))
            relay.signal(SIGTERM)
            #expect(try await relay.waitForExit(timeout: .seconds(40)) == 0, "\(relay.standardError)")
        }
    }

    /// `erasure-relay sandbox --config FILE` stands in for the vendors the file declares, at the quota `--quota`
    /// gives, and says where each listens.
    @Test func theSandboxCommandStandsInForDeclaredVendors() async throws {
        let yaml = """
            vendors:
              acme:
                kind: http
                base_url: https://api.acme.example
                secrets: { token: "${ACME_TOKEN}" }
                request:
                  method: DELETE
                  url: /v2/people/{identifier}
                  auth: { bearer: token }
                identifiers: { external_id: person }
                rate_limit: { requests: 50, window_seconds: 1 }
                answers: { rules: [{ status: 204, result: accepted }] }
            """
        try await withConfigFile(yaml) { configPath in
            var environment = ProcessInfo.processInfo.environment
            environment["ACME_TOKEN"] = "acme-token-value"
            let sandbox = try ChildProcess(
                erasureRelayExecutable(),
                ["sandbox", "--config", configPath, "--quota", "acme=2/60"],
                environment: environment
            )
            defer { sandbox.signal(SIGTERM) }
            try await sandbox.waitForOutput(containing: "# acme: declared in --config")
            // Standard output is the section alone, to be saved as YAML; the logs are on standard error.
            #expect(sandbox.standardOutput.hasPrefix("vendors:"))
            #expect(!sandbox.standardOutput.contains(#""level":"#), "\(sandbox.standardOutput)")
            let line = try #require(sandbox.standardOutput.split(separator: "\n").first { $0.contains("# acme:") })
            let url = String(try #require(line.split(separator: "\"").dropFirst().first))
            #expect(url.hasPrefix("http://127.0.0.1:"))
            let http = RawHTTP()
            let authorized = [("Authorization", "Bearer acme-token-value")]
            // Every arrival counts against the quota, as the vendor counts them.
            #expect(try await http.call(.DELETE, url + "/v2/people/p-0").status == 401)
            #expect(try await http.call(.DELETE, url + "/v2/people/p-1", headers: authorized).status == 204)
            #expect(try await http.call(.DELETE, url + "/v2/people/p-2", headers: authorized).status == 429)
            let record = try await http.call(.GET, url + "/_sandbox/record").body
            #expect(record.contains(#""person":["p-1"]"#))
            #expect(record.contains(#""quota_violations":1"#))
        }
    }

    @Test func consumesARequestSentWithKcatAndPublishesItsOutcome() async throws {
        let executable = erasureRelayExecutable()
        let broker = try ChildProcess(executable, ["dev-broker", "--partitions", "2"])
        let bootstrap = try await broker.firstLine()
        #expect(bootstrap.hasPrefix("127.0.0.1:"))
        try await withSandbox(logger: logger) { sandbox async throws in
            let urls = await sandbox.baseURLs()
            let configPath = FileManager.default.temporaryDirectory.appendingPathComponent(
                "erasure-relay-\(UUID()).yaml"
            ).path
            try """
            kafka:
              bootstrap_servers: "${TEST_BOOTSTRAP}"
              group_id: process-test
              properties: { session.timeout.ms: "6000", heartbeat.interval.ms: "500" }
            vendors:
              braze: { base_url: "\(urls[.braze]!)", api_key: "${BRAZE_KEY_FROM_ENV}" }
              engagelab: { base_url: "\(urls[.engagelab]!)", app_key: sandbox-app-key,
                           master_secret: sandbox-master-secret }
            http: { host: 127.0.0.1, port: 0 }
            parking: { signing_key: "\(testSigningKeys[0].value)" }
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: configPath) }
            var environment = ProcessInfo.processInfo.environment
            environment["TEST_BOOTSTRAP"] = bootstrap
            environment["BRAZE_KEY_FROM_ENV"] = "sandbox-braze-key"
            let relay = try ChildProcess(executable, ["run", "--config", configPath], environment: environment)
            try await Kcat.produce(
                bootstrap: bootstrap,
                topic: "user-erasure",
                lines: [
                    requestJSON(
                        id: "from-kcat",
                        subject: ["external_id": "u-77", "engagelab_registration_ids": ["reg-77"]]
                    )
                ]
            )
            let outcomes = try await Kcat.consume(
                bootstrap: bootstrap,
                topic: "user-erasure-outcomes",
                count: 1,
                timeout: .seconds(90)
            )
            let outcome = try #require(try JSONSerialization.jsonObject(with: Data(outcomes[0].utf8)) as? [String: Any])
            #expect(outcome["request_id"] as? String == "from-kcat")
            #expect(outcome["status"] as? String == "completed")
            #expect(
                (outcome["vendors"] as? [[String: Any]])?.compactMap { $0["vendor"] as? String } == [
                    "braze", "engagelab",
                ]
            )
            #expect(await sandbox.record(of: .braze).deleted["external_ids"] == ["u-77"])
            #expect(await sandbox.record(of: .engagelab).deleted["registration_id"] == ["reg-77"])
            try await relay.waitForOutput(containing: "Outcome published")

            // A message that is not JSON is rejected and dead-lettered; `erasure-relay replay` sends it back through
            // the retry topic, where the running service reads it again and rejects it again, from the same source.
            try await Kcat.produce(bootstrap: bootstrap, topic: "user-erasure", lines: ["not json"])
            _ = try await Kcat.consume(bootstrap: bootstrap, topic: "user-erasure-dlq", count: 1)
            let dryRun = try ChildProcess(
                executable,
                ["replay", "--config", configPath, "--dry-run"],
                environment: environment
            )
            #expect(try await dryRun.waitForExit(timeout: .seconds(60)) == 0, "\(dryRun.standardError)")
            #expect(dryRun.standardOutput.hasPrefix("-\tinvalid_json\tuser-erasure-dlq["), "\(dryRun.standardOutput)")
            #expect(dryRun.standardError.contains("Would replay 1 record(s)"), "\(dryRun.standardError)")
            let replay = try ChildProcess(
                executable,
                ["replay", "--config", configPath, "--code", "invalid_json"],
                environment: environment
            )
            #expect(try await replay.waitForExit(timeout: .seconds(60)) == 0, "\(replay.standardError)")
            #expect(
                replay.standardError.contains("Replayed 1 record(s) to user-erasure-retry"),
                "\(replay.standardError)"
            )
            let all = try await Kcat.consume(
                bootstrap: bootstrap,
                topic: "user-erasure-outcomes",
                count: 3,
                timeout: .seconds(60)
            )
            // The topic has two partitions, and kcat interleaves them: pick the two by what they stand for.
            let rejected = try all.map { line in
                try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            }.filter { $0["request_id"] as? String != "from-kcat" }
            #expect(rejected.map { $0["status"] as? String } == ["rejected", "rejected"])
            #expect((rejected[0]["source"] as? NSDictionary) == (rejected[1]["source"] as? NSDictionary))
            #expect((rejected[1]["source"] as? [String: Any])?["topic"] as? String == "user-erasure")

            relay.signal(SIGTERM)
            #expect(try await relay.waitForExit(timeout: .seconds(40)) == 0, "\(relay.standardError)")
            #expect(!relay.standardOutput.contains("u-77"))
            #expect(!relay.standardOutput.contains("sandbox-braze-key"))
        }
        broker.signal(SIGTERM)
        #expect(try await broker.waitForExit(timeout: .seconds(20)) == 0)
    }
}
