extension VendorID {
    public static let braze = VendorID(builtIn: "braze")
}

extension BuiltInVendor {
    static let braze = BuiltInVendor(
        id: .braze,
        documentedRateLimit: .init(requests: 20_000, windowSeconds: 60),
        // "up to 50 external_ids, user_aliases, braze_ids, email_addresses, or phone_numbers" per call.
        maxBatchSize: 50,
        hostKey: "instance",
        hosts: {
            var table: [String: String] = [:]
            for number in 1...8 { table["US-0\(number)"] = "https://rest.iad-0\(number).braze.com" }
            table["US-10"] = "https://rest.us-10.braze.com"
            table["EU-01"] = "https://rest.fra-01.braze.eu"
            table["EU-02"] = "https://rest.fra-02.braze.eu"
            table["AU-01"] = "https://rest.au-01.braze.com"
            table["ID-01"] = "https://rest.id-01.braze.com"
            table["JP-01"] = "https://rest.jp-01.braze.com"
            table["KR-01"] = "https://rest.kr-01.braze.com"
            return table
        }(),
        defaultHost: "US-01",
        readAccount: BrazeAccount.init(node:)
    )
}

/// `api_key`; `email_prioritization` (default `[identified, most_recently_updated]`).
public struct BrazeAccount: VendorAccount {
    public var apiKey: Secret
    /// Which profile Braze deletes when several share an email address.
    public var emailPrioritization: [String]

    public init(apiKey: Secret, emailPrioritization: [String]) {
        self.apiKey = apiKey
        self.emailPrioritization = emailPrioritization
    }

    init(node: ConfigNode) throws(ConfigurationError) {
        let prioritization = try node.stringList("email_prioritization") ?? ["identified", "most_recently_updated"]
        let allowed: Set = ["identified", "unidentified", "most_recently_updated"]
        guard !prioritization.isEmpty, prioritization.allSatisfy(allowed.contains),
            Set(prioritization).count == prioritization.count,
            !(prioritization.contains("identified") && prioritization.contains("unidentified"))
        else {
            throw ConfigurationError(
                key: node.qualified("email_prioritization"),
                message: "must list identified or unidentified (not both), optionally with most_recently_updated"
            )
        }
        self.init(apiKey: try node.requiredSecret("api_key"), emailPrioritization: prioritization)
    }

    public func makeAdapter(settings: VendorSettings, userAgent: String) -> any VendorAdapter {
        BrazeAdapter(
            apiKey: apiKey,
            emailPrioritization: emailPrioritization,
            maxItemsPerCall: settings.batching.maxSize,
            userAgent: userAgent
        )
    }

    public func configurationLines(revealingSecrets: Bool) -> [String] {
        [
            "api_key: \"\(apiKey.shown(revealing: revealingSecrets))\"",
            "email_prioritization: [\(emailPrioritization.joined(separator: ", "))]",
        ]
    }

    public func masked() -> any VendorAccount {
        BrazeAccount(apiKey: .mask, emailPrioritization: emailPrioritization)
    }
}

extension VendorAccount where Self == BrazeAccount {
    public static func braze(apiKey: Secret, emailPrioritization: [String]) -> BrazeAccount {
        BrazeAccount(apiKey: apiKey, emailPrioritization: emailPrioritization)
    }
}
