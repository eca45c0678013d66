import Foundation
import Yams

extension RelayConfiguration {
    /// The configuration a command starts from: the file with the environment over it, or the environment alone when
    /// there is no file but some `ERASURE_RELAY__` variable is set (a pod configured by variables only).
    /// - Parameters:
    ///   - file: the `--config` file, if one was given.
    ///   - environment: the process's environment.
    /// - Returns: nil when there is neither a file nor a variable: no configuration at all, as in the quick start.
    /// - Throws: ``ConfigurationError`` naming the key at fault.
    public static func load(
        file: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigurationError) -> RelayConfiguration? {
        if let file { return try RelayConfiguration(contentsOfFile: file, environment: environment) }
        guard EnvironmentOverrides.isPresent(in: environment) else { return nil }
        return try RelayConfiguration(yaml: "", environment: environment)
    }

    /// Checks what a service on a real cluster needs beyond a well-formed configuration. Without brokers it would
    /// have nothing to consume, without a vendor it would report every erasure `completed` having called no one, and
    /// without a signing key anyone who can write to the retry topic could forge a vendor's acceptance.
    /// - Throws: ``ConfigurationError`` naming the missing key: the first of ``serviceProblems``.
    public func validateForService() throws(ConfigurationError) {
        if let first = serviceProblems.first { throw first }
    }

    /// Every requirement of ``validateForService()`` this configuration misses, so that all are put right at once.
    public var serviceProblems: [ConfigurationError] {
        var problems: [ConfigurationError] = []
        if kafka.bootstrapServers == nil {
            problems.append(
                ConfigurationError(
                    key: "kafka.bootstrap_servers",
                    message: "is required: name the brokers to consume from (the embedded broker starts only with "
                        + "no configuration at all, or with --embedded)"
                )
            )
        }
        return problems + runProblems
    }

    /// The checks that hold for every running relay, embedded or not.
    func validateVendorsAndSigning() throws(ConfigurationError) {
        if let first = runProblems.first { throw first }
    }

    private var runProblems: [ConfigurationError] {
        var problems: [ConfigurationError] = []
        do { try kafka.validateTopics() } catch { problems.append(error) }
        if vendors.isEmpty {
            problems.append(
                ConfigurationError(
                    key: "vendors",
                    message: "configures no vendor, so no erasure could be carried out; configure at least one of "
                        + VendorID.builtIn.map(\.rawValue).joined(separator: ", ") + ", or one declared with kind: http"
                )
            )
        }
        if parking.signingKeys.isEmpty {
            problems.append(
                ConfigurationError(
                    key: "parking.signing_key",
                    message: "is required (or parking.signing_key_file): it signs parked work so that it cannot be "
                        + "forged; generate one with `openssl rand -hex 32`"
                )
            )
        }
        return problems
    }
}

extension RelayConfiguration.Kafka {
    /// The topics, by the key that names each.
    var topicsByKey: [(key: String, topic: String)] {
        [
            ("kafka.request_topic", requestTopic), ("kafka.outcome_topic", outcomeTopic),
            ("kafka.dead_letter_topic", deadLetterTopic), ("kafka.retry_topic", retryTopic),
            ("kafka.jobs_topic", jobsTopic),
        ]
    }

    /// Each topic has one purpose. The relay would read its own outcomes or dead letters as requests, without end,
    /// if one of them were the request or retry topic; and the topics key its consumer's bookkeeping, which two of
    /// one name would break.
    func validateTopics() throws(ConfigurationError) {
        let topics = topicsByKey
        for (index, topic) in topics.enumerated() {
            guard !topic.topic.isEmpty else {
                throw ConfigurationError(key: topic.key, message: "must name a topic")
            }
            if let earlier = topics[..<index].first(where: { $0.topic == topic.topic }) {
                throw ConfigurationError(
                    key: topic.key,
                    message: "is \(topic.topic), as \(earlier.key) is: each topic must be a topic of its own"
                )
            }
        }
    }
}

extension RelayConfiguration {
    /// Every problem that can be found without reading the configuration key by key, so that a file is put right in
    /// one pass rather than one run per mistake: each `${VARIABLE}` without a default that the environment does not
    /// set (an `ERASURE_RELAY__` override of its key counts as set), with the key it stands in.
    public static func unsetVariables(
        inFile path: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigurationError) -> [ConfigurationError] {
        let text = try ConfigurationFile.text(atPath: path, limit: ConfigurationFile.maxConfigurationBytes, key: "")
        guard let root = try? Yams.compose(yaml: text) else { return [] }
        var problems: [ConfigurationError] = []
        func visit(_ node: Node, key: String) {
            switch node {
            case .mapping(let mapping):
                for (name, value) in mapping {
                    let child = key.isEmpty ? (name.string ?? "?") : "\(key).\(name.string ?? "?")"
                    visit(value, key: child)
                }
            case .sequence(let sequence):
                for (index, element) in sequence.enumerated() { visit(element, key: "\(key)[\(index)]") }
            case .scalar(let scalar):
                let overridden = environment.keys.contains {
                    $0.uppercased() == EnvironmentOverrides.variableName(for: key)
                }
                guard !overridden else { return }
                for match in scalar.string.matches(of: /\$\{([^}:]+)\}/)
                where environment[String(match.1)] == nil {
                    problems.append(
                        ConfigurationError(key: key, message: "environment variable \(match.1) is not set")
                    )
                }
            case .alias:
                break
            }
        }
        visit(root, key: "")
        return problems
    }
}
