import Foundation
import Yams

#if canImport(Glibc)
import Glibc
#endif

extension RelayConfiguration {
    /// Reads a configuration file.
    /// - Throws: ``ConfigurationError`` naming the key at fault.
    /// - Parameters:
    ///   - path: the file.
    ///   - environment: what `${VAR}` and `ERASURE_RELAY__` overrides are read from.
    ///   - vendorsOnly: reads the `vendors` section alone, for commands that use nothing else (`vendors render`,
    ///     `sandbox`): a missing signing key or broker variable is not theirs to refuse.
    public init(
        contentsOfFile path: String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        vendorsOnly: Bool = false
    )
        throws(ConfigurationError)
    {
        let text = try ConfigurationFile.text(
            atPath: path,
            limit: ConfigurationFile.maxConfigurationBytes,
            key: ""
        )
        try self.init(yaml: text, environment: environment, vendorsOnly: vendorsOnly)
    }

    /// Reads configuration from YAML text. Every key is listed here with its type and default.
    /// - Throws: ``ConfigurationError`` naming the key at fault.
    public init(
        yaml: String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        vendorsOnly: Bool = false
    )
        throws(ConfigurationError)
    {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigurationError(key: "", message: "not valid YAML: \(error)")
        }
        let document = try ConfigNode(
            path: "",
            node: EnvironmentOverrides.apply(to: root, environment: environment),
            environment: environment
        )
        self.init()
        if vendorsOnly {
            for section in ["kafka", "http", "pipeline", "parking", "outcomes"] { _ = document.yaml(section) }
        }
        if !vendorsOnly, let kafka = try document.child("kafka") {
            self.kafka.bootstrapServers = try kafka.string("bootstrap_servers").flatMap { $0.isEmpty ? nil : $0 }
            self.kafka.groupID = try kafka.string("group_id") ?? self.kafka.groupID
            self.kafka.requestTopic = try kafka.string("request_topic") ?? self.kafka.requestTopic
            self.kafka.outcomeTopic = try kafka.string("outcome_topic") ?? self.kafka.outcomeTopic
            self.kafka.deadLetterTopic = try kafka.string("dead_letter_topic") ?? self.kafka.deadLetterTopic
            self.kafka.retryTopic = try kafka.string("retry_topic") ?? self.kafka.retryTopic
            self.kafka.jobsTopic = try kafka.string("jobs_topic") ?? self.kafka.jobsTopic
            self.kafka.properties = try kafka.child("properties")?.stringMap() ?? [:]
            self.kafka.consumerProperties = try kafka.child("consumer_properties")?.stringMap() ?? [:]
            if let files = try kafka.child("property_files") {
                for (property, value) in try files.fileContents() {
                    guard self.kafka.properties[property] == nil else {
                        throw ConfigurationError(
                            key: files.qualified(property),
                            message: "is also in kafka.properties; give it in one place"
                        )
                    }
                    self.kafka.properties[property] = value
                }
            }
            try kafka.rejectUnknownKeys()
        }
        if !vendorsOnly { try self.kafka.validateTopics() }
        if let vendors = try document.child("vendors") {
            for name in vendors.keys {
                let node: ConfigNode
                if let child = try vendors.child(name) {
                    node = child
                } else {
                    node = try ConfigNode(path: vendors.qualified(name), node: nil, environment: environment)
                }
                let kind = try node.string("kind")
                guard let vendor = VendorID(rawValue: name) else {
                    throw ConfigurationError(
                        key: vendors.qualified(name),
                        message: "is not a valid vendor name: 1 to \(VendorID.maxNameLength) of a-z, 0-9 and '_'"
                    )
                }
                switch (vendor.isBuiltIn, kind) {
                case (true, nil):
                    self.vendors[vendor] = try VendorSettings(vendor: vendor, node: node)
                case (true, _?):
                    throw ConfigurationError(
                        key: node.qualified("kind"),
                        message: "is for declared vendors; \(name) is a built-in vendor's name, so choose another"
                    )
                case (false, "http"):
                    self.vendors[vendor] = try VendorSettings(declared: vendor, node: node)
                case (false, let kind?):
                    throw ConfigurationError(key: node.qualified("kind"), message: "must be http, not '\(kind)'")
                case (false, nil):
                    throw ConfigurationError(
                        key: vendors.qualified(name),
                        message: "is not a built-in vendor ("
                            + VendorID.builtIn.map(\.rawValue).joined(separator: ", ")
                            + "); declare it with kind: http"
                    )
                }
            }
        }
        if !vendorsOnly, let http = try document.child("http") {
            self.http.host = try http.string("host") ?? self.http.host
            self.http.port = try http.int("port", in: 0...65535) ?? self.http.port
            try http.rejectUnknownKeys()
        }
        if !vendorsOnly, let pipeline = try document.child("pipeline") {
            self.pipeline.maxInFlight =
                try pipeline.int("max_in_flight", in: 1...1_000_000) ?? self.pipeline.maxInFlight
            // At least 1: paused partitions resume when fewer than this many requests are in flight, and none can
            // be fewer than 0, so 0 would never resume them.
            self.pipeline.resumeBelow =
                try pipeline.int("resume_below", in: 1...1_000_000)
                ?? max(1, min(self.pipeline.resumeBelow, self.pipeline.maxInFlight * 3 / 4))
            guard self.pipeline.resumeBelow <= self.pipeline.maxInFlight else {
                throw ConfigurationError(
                    key: "pipeline.resume_below",
                    message: "must not exceed pipeline.max_in_flight"
                )
            }
            self.pipeline.pauseAfterMilliseconds =
                try pipeline.int("pause_after_ms", in: 0...60_000)
                ?? self.pipeline.pauseAfterMilliseconds
            self.pipeline.maxHeld = try pipeline.int("max_held", in: 1...1_000_000) ?? self.pipeline.maxHeld
            self.pipeline.maxMessageBytes =
                try pipeline.int("max_message_bytes", in: 256...16_777_216)
                ?? self.pipeline.maxMessageBytes
            self.pipeline.drainTimeoutSeconds =
                try pipeline.int("drain_timeout_seconds", in: 0...3600)
                ?? self.pipeline.drainTimeoutSeconds
            try pipeline.rejectUnknownKeys()
        }
        if !vendorsOnly, let parking = try document.child("parking") {
            self.parking.maxParks = try parking.int("max_parks", in: 0...10_000) ?? self.parking.maxParks
            self.parking.initialDelaySeconds =
                try parking.int("initial_delay_seconds", in: 0...86_400)
                ?? self.parking.initialDelaySeconds
            self.parking.maxDelaySeconds =
                try parking.int("max_delay_seconds", in: 0...604_800)
                ?? self.parking.maxDelaySeconds
            self.parking.signingKeys = try parking.secretList("signing_key")
            if let short = self.parking.signingKeys.firstIndex(where: {
                $0.value.utf8.count < Self.minimumSigningKeyLength
            }) {
                throw ConfigurationError(
                    key: "parking.signing_key",
                    message: "key \(short + 1) is shorter than \(Self.minimumSigningKeyLength) characters"
                )
            }
            guard self.parking.initialDelaySeconds <= self.parking.maxDelaySeconds else {
                throw ConfigurationError(
                    key: "parking.initial_delay_seconds",
                    message: "must not exceed parking.max_delay_seconds"
                )
            }
            try parking.rejectUnknownKeys()
        }
        if !vendorsOnly, let outcomes = try document.child("outcomes") {
            self.outcomes.minRetentionDays =
                try outcomes.int("min_retention_days", in: 1...36_500) ?? self.outcomes.minRetentionDays
            self.outcomes.requireRetention = try outcomes.bool("require_retention") ?? self.outcomes.requireRetention
            try outcomes.rejectUnknownKeys()
        }
        try document.rejectUnknownKeys()
    }
}

extension VendorSettings {
    init(vendor: VendorID, node: ConfigNode) throws(ConfigurationError) {
        guard let builtIn = BuiltInVendor.named(vendor) else {
            throw ConfigurationError(key: node.path, message: "is not a built-in vendor")
        }
        let account = try builtIn.readAccount(node)
        let baseURL = try Self.baseURL(vendor: vendor, node: node)
        self.init(vendor: vendor, baseURL: baseURL, account: account)
        try readLaneSettings(from: node, maxBatchSize: BuiltInVendor.named(vendor)?.maxBatchSize ?? 1)
    }

    /// The settings every vendor's lane has: quota, concurrency, timeout, batching and retries.
    mutating func readLaneSettings(from node: ConfigNode, maxBatchSize: Int) throws(ConfigurationError) {
        let isDeclared = !vendor.isBuiltIn
        if let limits = try node.childList("rate_limit") {
            guard !limits.isEmpty else {
                throw ConfigurationError(key: "\(node.path).rate_limit", message: "must hold at least one limit")
            }
            let documented = self.rateLimit
            self.rateLimits = try limits.map { limit throws(ConfigurationError) in
                let read = RateLimit(
                    requests: try limit.int("requests", in: 1...10_000_000) ?? documented.requests,
                    windowSeconds: try limit.int("window_seconds", in: 1...86_400) ?? documented.windowSeconds,
                    reserve: try limit.double("reserve", in: 0...0.99) ?? 0
                )
                try limit.rejectUnknownKeys()
                return read
            }
        }
        self.maxConcurrency = try node.int("max_concurrency", in: 1...1024) ?? maxConcurrency
        self.timeoutSeconds = try node.int("timeout_seconds", in: 1...600) ?? timeoutSeconds
        if let batch = try node.child("batch") {
            self.batching.maxSize = try batch.int("max_size", in: 1...maxBatchSize) ?? batching.maxSize
            if isDeclared {
                self.batching.maxBytes = try batch.int("max_bytes", in: 64...16_777_216)
            }
            self.batching.lingerMilliseconds = try batch.int("linger_ms", in: 0...60_000) ?? batching.lingerMilliseconds
            self.batching.lingerWhenIdle = try batch.bool("linger_when_idle") ?? batching.lingerWhenIdle
            try batch.rejectUnknownKeys()
        }
        if let retryNode = try node.child("retry") {
            retry.maxAttempts = try retryNode.int("max_attempts", in: 1...1000) ?? retry.maxAttempts
            retry.maxElapsedSeconds =
                try retryNode.int("max_elapsed_seconds", in: 0...86_400) ?? retry.maxElapsedSeconds
            retry.initialBackoffMilliseconds =
                try retryNode.int("initial_backoff_ms", in: 1...3_600_000)
                ?? retry.initialBackoffMilliseconds
            retry.maxBackoffMilliseconds =
                try retryNode.int("max_backoff_ms", in: 1...3_600_000)
                ?? retry.maxBackoffMilliseconds
            try retryNode.rejectUnknownKeys()
        }
        try node.rejectUnknownKeys()
    }

    private static func baseURL(vendor: VendorID, node: ConfigNode) throws(ConfigurationError) -> String {
        let hostKey = BuiltInVendor.named(vendor)?.hostKey ?? "base_url"
        let explicit = try node.string("base_url")
        let named = try node.string(hostKey)
        let url: String
        switch (explicit, named) {
        case (let explicit?, nil):
            url = explicit
        case (nil, let named?):
            guard let resolved = VendorHosts.baseURL(vendor: vendor, name: named) else {
                throw ConfigurationError(
                    key: node.qualified(hostKey),
                    message:
                        "unknown \(hostKey) '\(named)'; known: \(VendorHosts.names(vendor: vendor).joined(separator: ", "))"
                )
            }
            url = resolved
        case (_?, _?):
            throw ConfigurationError(
                key: node.qualified("base_url"),
                message: "give either base_url or \(hostKey), not both"
            )
        case (nil, nil):
            guard let defaultURL = VendorHosts.defaultBaseURL(vendor: vendor) else {
                throw ConfigurationError(key: node.qualified("base_url"), message: "is required")
            }
            url = defaultURL
        }
        try validateBaseURL(url, key: node.qualified(explicit != nil ? "base_url" : hostKey))
        return url.hasSuffix("/") ? String(url.dropLast()) : url
    }

    /// Credentials only travel over TLS, except to this machine (a sandbox or a local proxy).
    static func validateBaseURL(_ url: String, key: String) throws(ConfigurationError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else {
            throw ConfigurationError(key: key, message: "must be an absolute URL such as https://host")
        }
        guard components.query == nil, components.fragment == nil else {
            throw ConfigurationError(key: key, message: "must not have a query or fragment")
        }
        guard scheme == "https" || (scheme == "http" && isLoopback(host: host)) else {
            throw ConfigurationError(key: key, message: "must use https:// (http:// is allowed for loopback only)")
        }
    }

    /// Whether `host` is `localhost` or a loopback address (127.0.0.0/8, ::1), read as an address: a name that
    /// merely starts with `127.` is not.
    static func isLoopback(host: String) -> Bool {
        var host = host.lowercased()
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" { return true }
        var ipv4 = in_addr()
        if inet_pton(AF_INET, host, &ipv4) == 1 {
            return UInt32(bigEndian: ipv4.s_addr) >> 24 == 127
        }
        var ipv6 = in6_addr()
        guard inet_pton(AF_INET6, host, &ipv6) == 1 else { return false }
        let bytes = withUnsafeBytes(of: ipv6) { Array($0) }
        let loopback: [UInt8] = Array(repeating: 0, count: 15) + [1]
        let mappedIPv4Loopback =
            bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF
            && bytes[12] == 127
        return bytes == loopback || mappedIPv4Loopback
    }
}
