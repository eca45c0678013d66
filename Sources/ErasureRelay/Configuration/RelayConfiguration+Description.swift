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
            "  jobs_topic: \"\(kafka.jobsTopic)\"",
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
            lines.append("    base_url: \"\(settings.displayedBaseURL)\"")
            lines += settings.account.configurationLines(revealingSecrets: false).map { "    " + $0 }
            lines += [
                "    rate_limit: "
                    + (settings.rateLimits.count == 1 ? "" : "[")
                    + settings.rateLimits.map {
                        "{ requests: \($0.requests), window_seconds: \($0.windowSeconds), reserve: \($0.reserve) }"
                    }.joined(separator: ", ")
                    + (settings.rateLimits.count == 1 ? "" : "]"),
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
            "outcomes:",
            "  min_retention_days: \(outcomes.minRetentionDays)",
            "  require_retention: \(outcomes.requireRetention)",
        ]
        return lines.joined(separator: "\n")
    }
}

extension VendorSettings {
    /// `base_url` as it may be shown: a user name and password written into it (`https://user:pw@host`) are
    /// masked, as every other credential is, wherever the URL is printed or logged.
    public var displayedBaseURL: String {
        guard let schemeEnd = baseURL.range(of: "://") else { return baseURL }
        let authorityEnd = baseURL[schemeEnd.upperBound...].firstIndex(of: "/") ?? baseURL.endIndex
        guard let at = baseURL[schemeEnd.upperBound..<authorityEnd].lastIndex(of: "@") else { return baseURL }
        return baseURL[..<schemeEnd.upperBound] + "********" + baseURL[at...]
    }
}
