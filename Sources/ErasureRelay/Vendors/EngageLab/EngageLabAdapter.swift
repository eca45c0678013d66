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
        let body = response.body.withUnsafeBufferPointer { try? JSONValue.parse($0, maxDepth: 64) }
        var error: [String: JSONValue]?
        var success = false
        if case .object(let members)? = body {
            if case .object(let details)? = members["error"] { error = details }
            if case .bool(true)? = members["success"] { success = true }
        }
        var code: Int?
        if case .number(let number)? = error?["code"], number == number.rounded(), abs(number) < 1e9 {
            code = Int(number)
        }
        switch response.status {
        case 200...299 where error == nil && (success || response.body.allSatisfy(Self.isWhiteSpace)):
            // The API's documented success, {"success": true}, or no body at all: a login page or another service's
            // JSON is not.
            return .accepted(reference: nil, deleted: nil, note: nil)
        case 404 where code != nil:
            // No such device, in the API's own error shape: the erasure's goal holds. A replay or a redelivery of a
            // finished erasure ends here. A 404 of any other shape is a gateway or a wrong region, not proof.
            return .accepted(reference: nil, deleted: nil, note: VendorText.notFound)
        case 200...299 where error == nil, 404:
            return .rejected(
                reason: "HTTP \(response.status) that is not EngageLab's answer (a gateway's or another service's?)",
                isolateItems: false
            )
        default:
            return .rejected(reason: "HTTP \(response.status)\(code.map { " code \($0)" } ?? "")", isolateItems: false)
        }
    }

    private static func isWhiteSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}
