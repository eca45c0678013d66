import ErasureRelay
import VendorSandbox

extension VendorSandbox {
    /// Vendor settings that point erasure-relay at this sandbox's stand-ins, with the sandbox's credentials and
    /// quotas, once it is listening.
    ///
    /// - Parameter declared: vendors declared in configuration; those this sandbox has a stand-in for are pointed at
    ///   it and returned with the built-in ones.
    public func relayVendorSettings(
        declared: [VendorID: VendorSettings] = [:]
    ) async -> [VendorID: VendorSettings] {
        let urls = await baseURLs()
        let declaredURLs = await baseURLsByName()
        let credentials = configuration.credentials
        var settings: [VendorID: VendorSettings] = [:]
        for vendor in SandboxVendor.allCases {
            let id = VendorID(rawValue: vendor.rawValue)!
            let account: VendorSettings.Account =
                switch vendor {
                case .braze:
                    .braze(
                        apiKey: Secret(credentials.brazeAPIKey),
                        emailPrioritization: ["identified", "most_recently_updated"]
                    )
                case .moengage:
                    .moengage(workspaceID: credentials.moengageWorkspaceID, apiKey: Secret(credentials.moengageAPIKey))
                case .moengageGDPR:
                    .moengageGDPR(
                        appID: credentials.moengageGDPRAppID,
                        apiKey: Secret(credentials.moengageGDPRAPIKey),
                        maxPayloadBytes: MoEngageGDPRAdapter.defaultMaxPayloadBytes
                    )
                case .engagelab:
                    .engagelab(
                        appKey: credentials.engagelabAppKey,
                        masterSecret: Secret(credentials.engagelabMasterSecret)
                    )
                }
            let quota = configuration.quotas[vendor].map {
                VendorSettings.RateLimit(requests: $0.requests, windowSeconds: max(1, Int($0.windowSeconds)))
            }
            settings[id] = VendorSettings(vendor: id, baseURL: urls[vendor]!, account: account, rateLimit: quota)
        }
        for (vendor, var setting) in declared where !vendor.isBuiltIn {
            guard let url = declaredURLs[vendor.rawValue] else { continue }
            setting.baseURL = url
            settings[vendor] = setting
        }
        return settings
    }
}
