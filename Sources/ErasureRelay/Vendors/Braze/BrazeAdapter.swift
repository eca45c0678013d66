/// Braze `POST /users/delete`: up to 50 identifiers of one kind per call.
public struct BrazeAdapter: VendorAdapter {
    public let vendor = VendorID.braze
    public let maxItemsPerCall: Int
    public let maxBodyBytes: Int? = nil
    private let apiKey: Secret
    private let emailPrioritization: [String]
    private let userAgent: String

    /// - Parameters:
    ///   - apiKey: a REST API key with the `users.delete` permission, sent as a bearer token.
    ///   - emailPrioritization: which profile Braze deletes when several share an email address.
    ///   - maxItemsPerCall: at most Braze's limit of 50.
    ///   - userAgent: the `User-Agent` of every call.
    public init(apiKey: Secret, emailPrioritization: [String], maxItemsPerCall: Int = 50, userAgent: String) {
        self.apiKey = apiKey
        self.emailPrioritization = emailPrioritization
        self.maxItemsPerCall = min(max(1, maxItemsPerCall), BuiltInVendor.named(.braze)!.maxBatchSize)
        self.userAgent = userAgent
    }

    public func items(for request: ErasureRequest) -> [VendorItem] {
        let subject = request.subject
        var items: [VendorItem] = []
        if let id = subject.externalID { items.append(Self.item("external_ids", id)) }
        if let id = subject.brazeID { items.append(Self.item("braze_ids", id)) }
        for alias in subject.userAliases {
            let json =
                "{\"alias_name\":\(JSONText.quoted(alias.aliasName)),\"alias_label\":\(JSONText.quoted(alias.aliasLabel))}"
            // An alias is one identifier; its label names a source system rather than the user.
            items.append(VendorItem(kind: "user_aliases", payload: Array(json.utf8), values: [alias.aliasName]))
        }
        if let email = subject.email {
            let prioritization = emailPrioritization.map(JSONText.quoted).joined(separator: ",")
            let json = "{\"email\":\(JSONText.quoted(email)),\"prioritization\":[\(prioritization)]}"
            items.append(VendorItem(kind: "email_addresses", payload: Array(json.utf8), values: [email]))
        }
        if let phone = subject.phone {
            items.append(Self.item("phone_numbers", phone))
        }
        return items
    }

    private static func item(_ kind: String, _ identifier: String) -> VendorItem {
        VendorItem(kind: kind, payload: Array(JSONText.quoted(identifier).utf8), values: [identifier])
    }

    public func call(for items: [VendorItem], now: Timestamp) -> VendorCall {
        let kind = items.first?.kind ?? "external_ids"
        let body = JSONText.array(of: items, between: "{\"\(kind)\":[", and: "]}")
        return VendorCall(
            method: .POST,
            pathAndQuery: "/users/delete",
            headers: [
                ("Content-Type", "application/json"),
                ("Authorization", "Bearer \(apiKey.value)"),
                ("User-Agent", userAgent),
            ],
            body: body
        )
    }

    public func classify(_ response: VendorResponse) -> CallResult {
        if let transient = RetryHints.transient(response, resetHeader: "x-ratelimit-reset") { return transient }
        let body = JSONText.object(response.body)
        let message = body?["message"] as? String
        let errors = (body?["errors"] as? [Any]) ?? []
        switch response.status {
        case 200...299:
            // 201 {"deleted": n, "message": "success"}; 202 {"message": "queued"} during Braze maintenance.
            guard errors.isEmpty, message == "success" || message == "queued" else {
                return .rejected(
                    reason: "HTTP \(response.status) with an error body: \(Self.summary(message, errors))",
                    isolateItems: true
                )
            }
            return .accepted(
                reference: nil,
                deleted: body?["deleted"] as? Int,
                note: message == "queued" ? "queued" : nil
            )
        case 400:
            return .rejected(reason: "HTTP 400: \(Self.summary(message, errors))", isolateItems: true)
        case 404:
            return .rejected(reason: "HTTP 404: the REST API key is not recognised", isolateItems: false)
        default:
            return .rejected(reason: "HTTP \(response.status): \(Self.summary(message, errors))", isolateItems: false)
        }
    }

    private static func summary(_ message: String?, _ errors: [Any]) -> String {
        let details = errors.compactMap { $0 as? String }
        return ([message ?? "no message"] + details).joined(separator: "; ")
    }
}
