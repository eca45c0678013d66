import Foundation

extension SandboxVendor {
    public static let moengageGDPR = SandboxVendor(builtIn: "moengage_gdpr")
}

extension BuiltInStandIn {
    /// MoEngage's GDPR/CCPA erase API: 1,000 calls a minute.
    static let moengageGDPR = BuiltInStandIn(
        vendor: .moengageGDPR,
        documentedQuota: SandboxConfiguration.Quota(requests: 1000, windowSeconds: 60),
        make: { _ in MoEngageGDPRStandIn(appID: "SANDBOXAPP", apiKey: "sandbox-gdpr-key") }
    )
}

/// MoEngage `POST /v1/opengdpr_requests/{app_id}`.
struct MoEngageGDPRStandIn: StandIn {
    let name = SandboxVendor.moengageGDPR.rawValue
    var relayCredentials: [(key: String, value: String)] { [("app_id", appID), ("api_key", apiKey)] }
    let appID: String
    let apiKey: String
    /// The page states both "a max limit of 100kb per request" and "128 KB"; the stand-in holds the stricter.
    static let maxPayloadBytes = 100_000
    private static let identityTypes: Set = [
        "ID", "user_secondary_id", "email", "mobile", "google_advertising_id", "advertising_identifier",
    ]

    func tooManyRequests(retryAfterSeconds: Int, resetEpochSeconds: Int) -> SandboxAnswer {
        var answer = Self.fail(429, "Too Many Requests", "Rate limits for customers exceeded")
        answer.headers = [("Retry-After", "\(retryAfterSeconds)")]
        return answer
    }

    private static func fail(_ status: Int, _ type: String, _ message: String) -> SandboxAnswer {
        .json(status, ["status": "fail", "error": ["message": message, "type": type]])
    }

    func answer(_ call: SandboxCall) -> SandboxAnswer {
        let prefix = "/v1/opengdpr_requests/"
        guard call.rawPath.hasPrefix(prefix), call.rawQuery == nil,
            SandboxParsing.decodeSegment(call.rawPath.dropFirst(prefix.count)) == appID
        else { return Self.fail(404, "Not Found", "Unknown path") }
        guard call.method == "POST" else { return Self.fail(405, "Method Not Allowed", "Use POST") }
        guard let credentials = SandboxParsing.basicCredentials(call.headers["authorization"]),
            credentials == (appID, apiKey)
        else { return Self.fail(401, "Authentication required", "Invalid credentials") }
        guard SandboxParsing.isJSONContentType(call.headers["content-type"]) else {
            return Self.fail(415, "Unsupported Media Type", "Content-Type must be application/json")
        }
        guard call.body.count <= Self.maxPayloadBytes else {
            return Self.fail(413, "Payload too large", "Payload can not exceed 128KB.")
        }
        guard let body = SandboxParsing.jsonObject(call.body) else {
            return Self.fail(400, "MissingAttributeError", "Invalid JSON")
        }
        for attribute in ["request_type", "submitted_time", "api_version", "identities"] where body[attribute] == nil {
            return Self.fail(400, "MissingAttributeError", "Missing attribute: \(attribute)")
        }
        guard body["request_type"] as? String == "erasure", body["api_version"] as? String == "1.0",
            let submitted = body["submitted_time"] as? String, submitted.count >= 20,
            let identities = body["identities"] as? [Any], !identities.isEmpty
        else {
            return Self.fail(
                400,
                "MissingAttributeError",
                "Invalid request_type, api_version, submitted_time or identities"
            )
        }
        var values: [String] = []
        var types: [String] = []
        for identity in identities {
            guard let object = identity as? [String: Any], object.count == 2,
                let type = object["identity_type"] as? String, Self.identityTypes.contains(type),
                let value = object["identity_value"] as? String, !value.isEmpty
            else {
                return Self.fail(400, "MissingAttributeError", "Each identity needs identity_type and identity_value")
            }
            values.append(value)
            types.append(type)
        }
        var answer = SandboxAnswer.json(
            200,
            [
                "status": "success", "message": "Your request has been accepted and will be processed soon.",
                "request_id": UUID().uuidString.lowercased(),
            ]
        )
        answer.deletions = [("identities", zip(types, values).map { "\($0):\($1)" })]
        answer.batchSize = identities.count
        return answer
    }
}
