import ErasureRelay
import VendorSandbox

extension VendorSandbox {
    /// Vendor settings that point erasure-relay at this sandbox's stand-ins, with the sandbox's credentials and
    /// quotas, once it is listening.
    public func relayVendorSettings() async -> [VendorID: VendorSettings] {
        let urls = await baseURLs()
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
        return settings
    }
}
