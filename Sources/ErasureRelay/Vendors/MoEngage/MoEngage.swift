extension VendorID {
    public static let moengage = VendorID(builtIn: "moengage")
}

extension BuiltInVendor {
    static let moengage = BuiltInVendor(
        id: .moengage,
        // "You can run 5000 requests per minute", one user each.
        documentedRateLimit: .init(requests: 5000, windowSeconds: 60),
        maxBatchSize: 1,
        hostKey: "data_center",
        hosts: moengageDataCenters,
        defaultHost: "01",
        readAccount: MoEngageAccount.init(node:)
    )

    /// MoEngage's data centers, shared by its bulk delete and GDPR APIs.
    static let moengageDataCenters: [String: String] = Dictionary(
        uniqueKeysWithValues: ["01", "02", "03", "04", "05", "06", "101"].map { ($0, "https://api-\($0).moengage.com") }
    )
}

/// `workspace_id`, `api_key`.
public struct MoEngageAccount: VendorAccount {
    public var workspaceID: String
    public var apiKey: Secret

    public init(workspaceID: String, apiKey: Secret) {
        self.workspaceID = workspaceID
        self.apiKey = apiKey
    }

    init(node: ConfigNode) throws(ConfigurationError) {
        self.init(workspaceID: try node.requiredString("workspace_id"), apiKey: try node.requiredSecret("api_key"))
    }

    public func makeAdapter(settings: VendorSettings, userAgent: String) -> any VendorAdapter {
        MoEngageAdapter(workspaceID: workspaceID, apiKey: apiKey, userAgent: userAgent)
    }

    public func configurationLines(revealingSecrets: Bool) -> [String] {
        ["workspace_id: \"\(workspaceID)\"", "api_key: \"\(apiKey.shown(revealing: revealingSecrets))\""]
    }

    public func masked() -> any VendorAccount {
        MoEngageAccount(workspaceID: workspaceID, apiKey: .mask)
    }
}

extension VendorAccount where Self == MoEngageAccount {
    public static func moengage(workspaceID: String, apiKey: Secret) -> MoEngageAccount {
        MoEngageAccount(workspaceID: workspaceID, apiKey: apiKey)
    }
}
