import Foundation

extension SandboxVendor {
    public static let moengage = SandboxVendor(builtIn: "moengage")
}

extension BuiltInStandIn {
    /// MoEngage's bulk delete: 5,000 calls a minute.
    static let moengage = BuiltInStandIn(
        vendor: .moengage,
        documentedQuota: SandboxConfiguration.Quota(requests: 5000, windowSeconds: 60),
        make: { unknownUserPrefix in
            MoEngageStandIn(
                workspaceID: "SANDBOXWORKSPACE",
                apiKey: "sandbox-moengage-key",
                unknownUserPrefix: unknownUserPrefix
            )
        }
    )
}

/// MoEngage `POST /v1/customer/delete/bulk?app_id=...`.
struct MoEngageStandIn: StandIn {
    let name = SandboxVendor.moengage.rawValue
    var relayCredentials: [(key: String, value: String)] { [("workspace_id", workspaceID), ("api_key", apiKey)] }
    let workspaceID: String
    let apiKey: String
    let unknownUserPrefix: String

    func tooManyRequests(retryAfterSeconds: Int, resetEpochSeconds: Int) -> SandboxAnswer {
        var answer = SandboxAnswer.json(
            429,
            ["status": "fail", "title": "Too Many Requests", "description": "Rate limit exceeded"]
        )
        answer.headers = [("Retry-After", "\(retryAfterSeconds)")]
        return answer
    }

    private static func fail(_ status: Int, _ type: String, _ message: String) -> SandboxAnswer {
        .json(
            status,
            ["status": "fail", "error": ["message": message, "type": type, "request_id": UUID().uuidString]]
        )
    }

    func answer(_ call: SandboxCall) -> SandboxAnswer {
        guard call.rawPath == "/v1/customer/delete/bulk" else { return Self.fail(404, "Not Found", "Unknown path") }
        guard call.method == "POST" else { return Self.fail(405, "Method Not Allowed", "Use POST") }
        guard let credentials = SandboxParsing.basicCredentials(call.headers["authorization"]),
            credentials == (workspaceID, apiKey)
        else { return Self.fail(401, "Authentication required", "APP_KEY/APP_SECRET mismatch") }
        guard call.query["app_id"] == workspaceID, call.query.count == 1 else {
            return Self.fail(403, "Forbidden", "Invalid or blocked app_id")
        }
        guard SandboxParsing.isJSONContentType(call.headers["content-type"]) else {
            return Self.fail(415, "Unsupported Media Type", "Content-Type must be application/json")
        }
        guard let body = SandboxParsing.jsonObject(call.body), body.count == 2,
            let type = body["identity_type"] as? String, ["customer_id", "moengage_id"].contains(type),
            let value = body["identity_value"] as? String, !value.isEmpty
        else {
            return Self.fail(
                400,
                "Bad Request",
                "Body must be {identity_type: customer_id|moengage_id, identity_value}"
            )
        }
        if value.hasPrefix(unknownUserPrefix) {
            var answer = Self.fail(
                400,
                "Not Found",
                "User doesn't exists with \(type.replacingOccurrences(of: "_", with: " "))"
            )
            answer.unknownUser = true
            return answer
        }
        var answer = SandboxAnswer.json(
            200,
            ["status": "success", "message": "Your request has been accepted and will be processed soon."]
        )
        answer.deletions = [(type, [value])]
        answer.batchSize = 1
        return answer
    }
}
