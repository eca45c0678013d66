extension VendorID {
    public static let moengageGDPR = VendorID(builtIn: "moengage_gdpr")
}

extension BuiltInVendor {
    static let moengageGDPR = BuiltInVendor(
        id: .moengageGDPR,
        documentedRateLimit: .init(requests: 1000, windowSeconds: 60),
        // Users per payload.
        maxBatchSize: 100,
        hostKey: "data_center",
        hosts: moengageDataCenters,
        defaultHost: "01",
        readAccount: MoEngageGDPRAccount.init(node:)
    )
}

/// `app_id`, `api_key`; `max_payload_bytes` (default 100000, under the stricter of the two limits the vendor
/// documents; at most 131072).
public struct MoEngageGDPRAccount: VendorAccount {
    public var appID: String
    public var apiKey: Secret
    public var maxPayloadBytes: Int

    public init(appID: String, apiKey: Secret, maxPayloadBytes: Int) {
        self.appID = appID
        self.apiKey = apiKey
        self.maxPayloadBytes = maxPayloadBytes
    }

    init(node: ConfigNode) throws(ConfigurationError) {
        self.init(
            appID: try node.requiredString("app_id"),
            apiKey: try node.requiredSecret("api_key"),
            maxPayloadBytes: try node.int(
                "max_payload_bytes",
                in: 1024...MoEngageGDPRAdapter.documentedMaxPayloadBytes
            ) ?? MoEngageGDPRAdapter.defaultMaxPayloadBytes
        )
    }

    public func makeAdapter(settings: VendorSettings, userAgent: String) -> any VendorAdapter {
        MoEngageGDPRAdapter(
            appID: appID,
            apiKey: apiKey,
            usersPerPayload: settings.batching.maxSize,
            maxPayloadBytes: maxPayloadBytes,
            userAgent: userAgent
        )
    }

    public func configurationLines(revealingSecrets: Bool) -> [String] {
        [
            "app_id: \"\(appID)\"", "api_key: \"\(apiKey.shown(revealing: revealingSecrets))\"",
            "max_payload_bytes: \(maxPayloadBytes)",
        ]
    }

    public func masked() -> any VendorAccount {
        MoEngageGDPRAccount(appID: appID, apiKey: .mask, maxPayloadBytes: maxPayloadBytes)
    }
}

extension VendorAccount where Self == MoEngageGDPRAccount {
    public static func moengageGDPR(appID: String, apiKey: Secret, maxPayloadBytes: Int) -> MoEngageGDPRAccount {
        MoEngageGDPRAccount(appID: appID, apiKey: apiKey, maxPayloadBytes: maxPayloadBytes)
    }
}
