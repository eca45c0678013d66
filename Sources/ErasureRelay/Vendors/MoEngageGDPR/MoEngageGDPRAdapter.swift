/// MoEngage GDPR/CCPA erase, `POST /v1/opengdpr_requests/{app_id}`: several users per payload, by default never
/// over 100,000 bytes.
public struct MoEngageGDPRAdapter: VendorAdapter {
    public let vendor = VendorID.moengageGDPR
    public let maxItemsPerCall: Int
    public let maxBodyBytes: Int?
    /// The page states both "a max limit of 100kb per request" and "The maximum payload size is 128 KB": the
    /// default stays under the stricter of the two.
    public static let defaultMaxPayloadBytes = 100_000
    /// Above this the vendor answers 413, whatever the account is set to.
    public static let documentedMaxPayloadBytes = 131_072
    private let appID: String
    private let apiKey: Secret
    private let userAgent: String

    /// - Parameters:
    ///   - appID: the workspace's app id, part of the path.
    ///   - apiKey: the GDPR API key, sent with the app id as basic authentication.
    ///   - usersPerPayload: users (requests) per call; 1 for accounts that take one user at a time.
    ///   - maxPayloadBytes: at most the documented 131,072; 100,000 by default.
    ///   - userAgent: the `User-Agent` of every call.
    public init(
        appID: String,
        apiKey: Secret,
        usersPerPayload: Int,
        maxPayloadBytes: Int = defaultMaxPayloadBytes,
        userAgent: String
    ) {
        self.appID = appID
        self.apiKey = apiKey
        self.maxItemsPerCall = max(1, usersPerPayload)
        self.maxBodyBytes = min(maxPayloadBytes, Self.documentedMaxPayloadBytes)
        self.userAgent = userAgent
    }

    /// One item per request, holding all of the user's identities, so that a user is never split across payloads.
    public func items(for request: ErasureRequest) -> [VendorItem] {
        let subject = request.subject
        let identities: [(String, String?)] = [
            ("ID", subject.externalID),
            ("email", subject.email),
            ("mobile", subject.phone),
            ("google_advertising_id", subject.googleAdvertisingID),
            ("advertising_identifier", subject.advertisingIdentifier),
        ]
        let present = identities.compactMap { type, value in value.map { (type, $0) } }
        guard !present.isEmpty else { return [] }
        let json = present.map { "{\"identity_type\":\"\($0.0)\",\"identity_value\":\(JSONText.quoted($0.1))}" }
            .joined(separator: ",")
        return [VendorItem(kind: "identities", payload: Array(json.utf8), values: present.map(\.1))]
    }

    public func call(for items: [VendorItem], now: Timestamp) -> VendorCall {
        let body = JSONText.array(
            of: items,
            between:
                "{\"request_type\":\"erasure\",\"submitted_time\":\"\(now.rfc3339Seconds)\",\"api_version\":\"1.0\",\"identities\":[",
            and: "]}"
        )
        return VendorCall(
            method: .POST,
            pathAndQuery: "/v1/opengdpr_requests/\(PercentEncoding.pathSegment(appID.utf8))",
            headers: [
                ("Content-Type", "application/json"),
                ("Authorization", HTTPAuthorization.basic(user: appID, password: apiKey.value)),
                ("MOE-APPKEY", appID),
                ("User-Agent", userAgent),
            ],
            body: body
        )
    }

    public func classify(_ response: VendorResponse) -> CallResult {
        if let transient = RetryHints.transient(response) { return transient }
        let body = JSONText.object(response.body)
        let error = body?["error"] as? [String: Any]
        switch response.status {
        case 200...299 where body?["status"] as? String == "success":
            return .accepted(reference: body?["request_id"] as? String, deleted: nil, note: nil)
        case 200...299:
            return .rejected(reason: "HTTP \(response.status) without status success", isolateItems: true)
        case 400, 413:
            // 413: the payload is over 128 KB; 400: a MissingAttributeError in one user. Both are about the batch.
            let type = error?["type"] as? String ?? "no error type"
            return .rejected(reason: "HTTP \(response.status): \(type)", isolateItems: true)
        default:
            let type = error?["type"] as? String ?? "no error type"
            return .rejected(reason: "HTTP \(response.status): \(type)", isolateItems: false)
        }
    }
}
