import Kafka
import Logging

/// Whether the outcome topic keeps the compliance record as long as `outcomes.min_retention_days` asks, judged from
/// the topic's configuration as the cluster describes it.
public enum OutcomeRetention: Sendable, Equatable {
    /// Nothing younger than the minimum is ever removed.
    case sufficient
    /// The topic may remove an outcome before it reaches the minimum age, for each reason given.
    case insufficient([String])
    /// The configuration could not be read, for the reason given.
    case unknown(String)

    /// Judges the topic configuration `configuration` (`retention.ms`, `retention.bytes`, `cleanup.policy`).
    /// - Parameters:
    ///   - configuration: the topic's configuration entries, defaults included.
    ///   - minimumDays: `outcomes.min_retention_days`.
    public static func judging(_ configuration: [String: String], minimumDays: Int) -> OutcomeRetention {
        guard let retentionText = configuration["retention.ms"], let retention = Int64(retentionText) else {
            return .unknown("the cluster did not give the topic's retention.ms")
        }
        var reasons: [String] = []
        let policies = (configuration["cleanup.policy"] ?? "delete").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        if policies.contains("compact") {
            reasons.append(
                "cleanup.policy is \(policies.joined(separator: ",")): compaction keeps only a request's latest "
                    + "outcome, so the record of its earlier ones is lost"
            )
        }
        if policies.contains("delete") {
            let minimum = Int64(minimumDays) * 86_400_000
            if retention >= 0, retention < minimum {
                reasons.append(
                    "retention.ms is \(retention) (\(retention / 86_400_000) days), below "
                        + "outcomes.min_retention_days (\(minimumDays) days)"
                )
            }
            if let bytes = configuration["retention.bytes"].flatMap({ Int64($0) }), bytes >= 0 {
                reasons.append(
                    "retention.bytes is \(bytes): each partition drops its oldest outcomes beyond that size, "
                        + "whatever their age"
                )
            }
        }
        return reasons.isEmpty ? .sufficient : .insufficient(reasons)
    }

    /// Reads the outcome topic's configuration, logs what it finds (an error when the topic keeps too little),
    /// records it in the `erasure_relay_outcome_retention_sufficient` metric, and returns it.
    /// - Parameters:
    ///   - kafka: the cluster and client properties.
    ///   - topic: the outcome topic.
    ///   - minimumDays: `outcomes.min_retention_days`.
    ///   - metrics: where the verdict is recorded.
    ///   - logger: where it is logged.
    static func check(
        kafka: KafkaClientConfiguration,
        topic: String,
        minimumDays: Int,
        metrics: RelayMetrics,
        logger: Logger
    ) async throws(CancellationError) -> OutcomeRetention {
        let verdict: OutcomeRetention
        do {
            let configuration = try await TopicConfiguration.describe(topic, configuration: kafka, logger: logger)
            verdict = judging(configuration, minimumDays: minimumDays)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            verdict = .unknown("\(error)")
        }
        metrics.outcomeRetention(verdict)
        let metadata: Logger.Metadata = [LoggingKeys.topic: "\(topic)", "min_retention_days": "\(minimumDays)"]
        switch verdict {
        case .sufficient:
            logger.info("The outcome topic keeps outcomes long enough", metadata: metadata)
        case .insufficient(let reasons):
            logger.error(
                "The outcome topic may lose outcomes younger than outcomes.min_retention_days",
                metadata: metadata.merging(["reasons": "\(reasons.joined(separator: "; "))"]) { $1 }
            )
        case .unknown(let reason):
            logger.warning(
                "The outcome topic's retention could not be checked",
                metadata: metadata.merging([LoggingKeys.error: "\(reason)"]) { $1 }
            )
        }
        return verdict
    }

    /// Why the service refuses to start under `outcomes.require_retention`, or nil when it may.
    var refusal: ConfigurationError? {
        switch self {
        case .sufficient:
            return nil
        case .insufficient(let reasons):
            return ConfigurationError(
                key: "outcomes.require_retention",
                message: "is true and the outcome topic keeps too little: \(reasons.joined(separator: "; "))"
            )
        case .unknown(let reason):
            return ConfigurationError(
                key: "outcomes.require_retention",
                message: "is true and the outcome topic's retention could not be read (\(reason))"
            )
        }
    }
}
