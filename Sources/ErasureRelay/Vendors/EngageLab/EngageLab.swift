extension VendorID {
    public static let engagelab = VendorID(builtIn: "engagelab")
}

extension BuiltInVendor {
    static let engagelab = BuiltInVendor(
        id: .engagelab,
        // The App Push REST API's limit per AppKey, shared with the account's push traffic.
        documentedRateLimit: .init(requests: 500, windowSeconds: 1),
        // One registration id per DELETE.
        maxBatchSize: 1,
        hostKey: "region",
        hosts: Dictionary(
            uniqueKeysWithValues: ["sgp", "hk", "usva", "defra", "jpn", "bra"].map {
                ($0, "https://pushapi-\($0).engagelab.com")
            }
        ),
        defaultHost: "sgp",
        readAccount: EngageLabAccount.init(node:)
    )
}

/// `app_key`, `master_secret`.
public struct EngageLabAccount: VendorAccount {
    public var appKey: String
    public var masterSecret: Secret

    public init(appKey: String, masterSecret: Secret) {
        self.appKey = appKey
        self.masterSecret = masterSecret
    }

    init(node: ConfigNode) throws(ConfigurationError) {
        self.init(appKey: try node.requiredString("app_key"), masterSecret: try node.requiredSecret("master_secret"))
    }

    public func makeAdapter(settings: VendorSettings, userAgent: String) -> any VendorAdapter {
        EngageLabAdapter(appKey: appKey, masterSecret: masterSecret, userAgent: userAgent)
    }

    public func configurationLines(revealingSecrets: Bool) -> [String] {
        ["app_key: \"\(appKey)\"", "master_secret: \"\(masterSecret.shown(revealing: revealingSecrets))\""]
    }

    public func masked() -> any VendorAccount {
        EngageLabAccount(appKey: appKey, masterSecret: .mask)
    }
}

extension VendorAccount where Self == EngageLabAccount {
    public static func engagelab(appKey: String, masterSecret: Secret) -> EngageLabAccount {
        EngageLabAccount(appKey: appKey, masterSecret: masterSecret)
    }
}
