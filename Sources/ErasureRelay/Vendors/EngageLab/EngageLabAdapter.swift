/// EngageLab `DELETE /v4/devices/{registration_id}`: one registration id per call, in the path.
public struct EngageLabAdapter: VendorAdapter {
    public let vendor = VendorID.engagelab
    public let maxItemsPerCall = 1
    public let maxBodyBytes: Int? = nil
    private let appKey: String
    private let masterSecret: Secret
    private let userAgent: String

    public init(appKey: String, masterSecret: Secret, userAgent: String) {
        self.appKey = appKey
        self.masterSecret = masterSecret
        self.userAgent = userAgent
    }

    public func items(for request: ErasureRequest) -> [VendorItem] {
        request.subject.engagelabRegistrationIDs.map {
            VendorItem(kind: "registration_id", payload: Array($0.utf8), values: [$0])
        }
    }

    public func call(for items: [VendorItem], now: Timestamp) -> VendorCall {
        VendorCall(
            method: .DELETE,
            pathAndQuery: "/v4/devices/\(PercentEncoding.pathSegment(items.first?.payload ?? []))",
            headers: [
                ("Accept", "application/json"),
                ("Authorization", HTTPAuthorization.basic(user: appKey, password: masterSecret.value)),
                ("User-Agent", userAgent),
            ],
            body: nil
        )
    }

    public func classify(_ response: VendorResponse) -> CallResult {
        if let transient = RetryHints.transient(response) { return transient }
        let body = JSONText.object(response.body)
        let error = body?["error"] as? [String: Any]
        switch response.status {
        case 200...299 where error == nil:
            return .accepted(reference: nil, deleted: nil, note: nil)
        case 404 where body != nil || response.body.isEmpty:
            // No such device: the erasure's goal holds. A replay or a redelivery of a finished erasure ends here.
            return .accepted(reference: nil, deleted: nil, note: VendorText.notFound)
        default:
            let code = (error?["code"] as? Int).map { " code \($0)" } ?? ""
            return .rejected(reason: "HTTP \(response.status)\(code)", isolateItems: false)
        }
    }
}
