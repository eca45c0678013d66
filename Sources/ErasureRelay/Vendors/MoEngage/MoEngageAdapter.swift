/// MoEngage bulk delete, `POST /v1/customer/delete/bulk`: one user per call, by customer id or MoEngage id.
public struct MoEngageAdapter: VendorAdapter {
    public let vendor = VendorID.moengage
    public let maxItemsPerCall = 1
    public let maxBodyBytes: Int? = nil
    private let workspaceID: String
    private let apiKey: Secret
    private let userAgent: String

    public init(workspaceID: String, apiKey: Secret, userAgent: String) {
        self.workspaceID = workspaceID
        self.apiKey = apiKey
        self.userAgent = userAgent
    }

    public func items(for request: ErasureRequest) -> [VendorItem] {
        var items: [VendorItem] = []
        if let id = request.subject.externalID { items.append(Self.item(type: "customer_id", value: id)) }
        if let id = request.subject.moengageID { items.append(Self.item(type: "moengage_id", value: id)) }
        return items
    }

    private static func item(type: String, value: String) -> VendorItem {
        let json = "{\"identity_type\":\"\(type)\",\"identity_value\":\(JSONText.quoted(value))}"
        return VendorItem(kind: type, payload: Array(json.utf8), values: [value])
    }

    public func call(for items: [VendorItem], now: Timestamp) -> VendorCall {
        VendorCall(
            method: .POST,
            pathAndQuery: "/v1/customer/delete/bulk?app_id=\(PercentEncoding.pathSegment(workspaceID.utf8))",
            headers: [
                ("Content-Type", "application/json"),
                ("Authorization", HTTPAuthorization.basic(user: workspaceID, password: apiKey.value)),
                ("User-Agent", userAgent),
            ],
            body: items.first?.payload ?? []
        )
    }

    public func classify(_ response: VendorResponse) -> CallResult {
        if let transient = RetryHints.transient(response) { return transient }
        let body = JSONText.object(response.body)
        let error = body?["error"] as? [String: Any]
        let errorType = error?["type"] as? String
        switch response.status {
        case 200...299 where body?["status"] as? String == "success":
            return .accepted(reference: nil, deleted: nil, note: nil)
        case 200...299:
            return .rejected(reason: "HTTP \(response.status) without status success", isolateItems: false)
        case 400 where errorType == "Not Found":
            // The user does not exist: there is nothing left to delete.
            return .accepted(reference: nil, deleted: nil, note: VendorText.notFound)
        default:
            let type = errorType ?? (body?["title"] as? String) ?? "no error type"
            return .rejected(reason: "HTTP \(response.status): \(type)", isolateItems: false)
        }
    }
}
