import Foundation

extension SandboxVendor {
    public static let engagelab = SandboxVendor(builtIn: "engagelab")
}

extension BuiltInStandIn {
    /// EngageLab's device API: 500 calls a second.
    static let engagelab = BuiltInStandIn(
        vendor: .engagelab,
        documentedQuota: SandboxConfiguration.Quota(requests: 500, windowSeconds: 1),
        make: { unknownUserPrefix in
            EngageLabStandIn(
                appKey: "sandbox-app-key",
                masterSecret: "sandbox-master-secret",
                unknownUserPrefix: unknownUserPrefix
            )
        }
    )
}

/// EngageLab `DELETE /v4/devices/{registration_id}`.
struct EngageLabStandIn: StandIn {
    let name = SandboxVendor.engagelab.rawValue
    var relayCredentials: [(key: String, value: String)] { [("app_key", appKey), ("master_secret", masterSecret)] }
    let appKey: String
    let masterSecret: String
    let unknownUserPrefix: String

    func tooManyRequests(retryAfterSeconds: Int, resetEpochSeconds: Int) -> SandboxAnswer {
        var answer = Self.fail(429, 2002, "API call frequency exceeds the limit")
        answer.headers = [("Retry-After", "\(retryAfterSeconds)")]
        return answer
    }

    private static func fail(_ status: Int, _ code: Int, _ message: String) -> SandboxAnswer {
        .json(status, ["error": ["code": code, "message": message]])
    }

    func answer(_ call: SandboxCall) -> SandboxAnswer {
        let prefix = "/v4/devices/"
        guard call.rawPath.hasPrefix(prefix), call.rawQuery == nil else {
            // Not the device API at all: a gateway's page, not the API's JSON error, so that a wrong base URL is
            // never read as "no such device".
            return SandboxAnswer(status: 404, body: "404 page not found")
        }
        let segment = call.rawPath.dropFirst(prefix.count)
        guard !segment.contains("/"), let registrationID = SandboxParsing.decodeSegment(segment) else {
            return Self.fail(400, 1003, "Invalid registration_id path segment")
        }
        guard call.method == "DELETE" else { return Self.fail(405, 405, "Method not allowed") }
        guard let credentials = SandboxParsing.basicCredentials(call.headers["authorization"]),
            credentials == (appKey, masterSecret)
        else { return Self.fail(401, 1004, "Authentication failed") }
        guard call.body.isEmpty else { return Self.fail(400, 1003, "DELETE takes no body") }
        if registrationID.hasPrefix(unknownUserPrefix) {
            var answer = Self.fail(404, 1011, "Device not found")
            answer.unknownUser = true
            return answer
        }
        var answer = SandboxAnswer.json(200, ["success": true])
        answer.deletions = [("registration_id", [registrationID])]
        answer.batchSize = 1
        return answer
    }
}
