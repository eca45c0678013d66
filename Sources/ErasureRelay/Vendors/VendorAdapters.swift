/// The version reported in `User-Agent` and by `erasure-relay --version`.
public let erasureRelayVersion = "0.1.0"

extension VendorSettings {
    /// The adapter for this vendor's API with these settings.
    public func makeAdapter() -> any VendorAdapter {
        let userAgent = "erasure-relay/\(erasureRelayVersion)"
        switch account {
        case .braze(let apiKey, let prioritization):
            return BrazeAdapter(
                apiKey: apiKey,
                emailPrioritization: prioritization,
                maxItemsPerCall: batching.maxSize,
                userAgent: userAgent
            )
        case .moengage(let workspaceID, let apiKey):
            return MoEngageAdapter(workspaceID: workspaceID, apiKey: apiKey, userAgent: userAgent)
        case .moengageGDPR(let appID, let apiKey, let maxPayloadBytes):
            return MoEngageGDPRAdapter(
                appID: appID,
                apiKey: apiKey,
                usersPerPayload: batching.maxSize,
                maxPayloadBytes: maxPayloadBytes,
                userAgent: userAgent
            )
        case .engagelab(let appKey, let masterSecret):
            return EngageLabAdapter(appKey: appKey, masterSecret: masterSecret, userAgent: userAgent)
        case .http(let definition):
            return DeclaredVendorAdapter(
                vendor: vendor,
                definition: definition,
                batching: batching,
                userAgent: userAgent
            )
        }
    }
}

extension VendorSettings {
    /// The same settings with every credential replaced by `********`, so that calls built from them can be shown.
    public func maskingSecrets() -> VendorSettings {
        let mask = Secret("********")
        var masked = self
        masked.account =
            switch account {
            case .braze(_, let prioritization): .braze(apiKey: mask, emailPrioritization: prioritization)
            case .moengage(let workspaceID, _): .moengage(workspaceID: workspaceID, apiKey: mask)
            case .moengageGDPR(let appID, _, let maxPayloadBytes):
                .moengageGDPR(appID: appID, apiKey: mask, maxPayloadBytes: maxPayloadBytes)
            case .engagelab(let appKey, _): .engagelab(appKey: appKey, masterSecret: mask)
            case .http(let definition): .http(definition.masked())
            }
        return masked
    }
}
