import Kafka

extension RelayConfiguration {

    /// The configuration in effect, defaults included, as YAML, with every secret masked.
    public var effectiveDescription: String {
        var lines = [
            "kafka:",
            "  bootstrap_servers: \(kafka.bootstrapServers.map { "\"\($0)\"" } ?? "null  # embedded broker")",
            "  group_id: \"\(kafka.groupID)\"",
            "  request_topic: \"\(kafka.requestTopic)\"",
            "  outcome_topic: \"\(kafka.outcomeTopic)\"",
            "  dead_letter_topic: \"\(kafka.deadLetterTopic)\"",
            "  retry_topic: \"\(kafka.retryTopic)\"",
            "  properties:" + (kafka.properties.isEmpty ? " {}" : ""),
        ]
        for key in kafka.properties.keys.sorted() {
            let value = KafkaClientConfiguration.isSecretProperty(key) ? "********" : kafka.properties[key]!
            lines.append("    \(key): \"\(value)\"")
        }
        if !kafka.consumerProperties.isEmpty {
            lines.append("  consumer_properties:")
            for key in kafka.consumerProperties.keys.sorted() {
                let value =
                    KafkaClientConfiguration.isSecretProperty(key) ? "********" : kafka.consumerProperties[key]!
                lines.append("    \(key): \"\(value)\"")
            }
        }
        lines.append("vendors:" + (vendors.isEmpty ? " {}" : ""))
        for vendor in vendors.keys.sorted() {
            let settings = vendors[vendor]!
            lines.append("  \(vendor.rawValue):")
            lines.append("    base_url: \"\(settings.baseURL)\"")
            switch settings.account {
            case .braze(let apiKey, let prioritization):
                lines.append("    api_key: \"\(apiKey)\"")
                lines.append("    email_prioritization: [\(prioritization.joined(separator: ", "))]")
            case .moengage(let workspaceID, let apiKey):
                lines.append("    workspace_id: \"\(workspaceID)\"")
                lines.append("    api_key: \"\(apiKey)\"")
            case .moengageGDPR(let appID, let apiKey, let maxPayloadBytes):
                lines.append("    app_id: \"\(appID)\"")
                lines.append("    api_key: \"\(apiKey)\"")
                lines.append("    max_payload_bytes: \(maxPayloadBytes)")
            case .engagelab(let appKey, let masterSecret):
                lines.append("    app_key: \"\(appKey)\"")
                lines.append("    master_secret: \"\(masterSecret)\"")
            case .http(let definition):
                lines += definition.describedLines
            }
            lines += [
                "    rate_limit: { requests: \(settings.rateLimit.requests), window_seconds: \(settings.rateLimit.windowSeconds), "
                    + "reserve: \(settings.rateLimit.reserve) }",
                "    max_concurrency: \(settings.maxConcurrency)",
                "    timeout_seconds: \(settings.timeoutSeconds)",
                "    batch: { max_size: \(settings.batching.maxSize), linger_ms: \(settings.batching.lingerMilliseconds), "
                    + "linger_when_idle: \(settings.batching.lingerWhenIdle) }",
                "    retry: { max_attempts: \(settings.retry.maxAttempts), max_elapsed_seconds: \(settings.retry.maxElapsedSeconds), "
                    + "initial_backoff_ms: \(settings.retry.initialBackoffMilliseconds), max_backoff_ms: \(settings.retry.maxBackoffMilliseconds) }",
            ]
        }
        lines += [
            "http:",
            "  host: \"\(http.host)\"",
            "  port: \(http.port)",
            "pipeline:",
            "  max_in_flight: \(pipeline.maxInFlight)",
            "  resume_below: \(pipeline.resumeBelow)",
            "  pause_after_ms: \(pipeline.pauseAfterMilliseconds)",
            "  max_held: \(pipeline.maxHeld)",
            "  max_message_bytes: \(pipeline.maxMessageBytes)",
            "  drain_timeout_seconds: \(pipeline.drainTimeoutSeconds)",
            "parking:",
            "  max_parks: \(parking.maxParks)",
            "  initial_delay_seconds: \(parking.initialDelaySeconds)",
            "  max_delay_seconds: \(parking.maxDelaySeconds)",
            "  signing_key: [\(parking.signingKeys.map { "\"\($0)\"" }.joined(separator: ", "))]",
        ]
        return lines.joined(separator: "\n")
    }
}

extension HTTPVendorDefinition {
    /// The definition as `check-config` shows it: secrets masked, the rest summarised.
    var describedLines: [String] {
        func map(_ values: [String: String]) -> String {
            "{ " + values.keys.sorted().map { "\($0): \"\(values[$0]!)\"" }.joined(separator: ", ") + " }"
        }
        let path =
            TemplateText.display(path) + (query.isEmpty ? "" : "?")
            + query.map { "\($0.name)=\(TemplateText.display($0.value))" }.joined(separator: "&")
        return [
            "    kind: http",
            "    settings: \(map(settings))",
            "    secrets: \(map(secrets.mapValues { _ in "********" }))",
            "    request: { method: \(method.rawValue), url: \"\(path)\", per: \(scope.rawValue), "
                + "content_type: \(contentType.rawValue) }",
            "    identifiers: \(map(Dictionary(uniqueKeysWithValues: identifiers.map { ($0.field.description, $0.name) })))",
            "    answers: { rules: \(rules.count), default: \(defaultResult.rawValue) }",
        ]
    }
}
