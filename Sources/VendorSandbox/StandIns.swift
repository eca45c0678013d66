import Foundation

/// A call as a stand-in sees it: the raw request target, so that encoding mistakes are visible.
struct SandboxCall: Sendable {
    var method: String
    /// The path as sent, still percent-encoded.
    var rawPath: String
    var query: [String: String]
    var rawQuery: String?
    /// Header values by lower-cased name.
    var headers: [String: String]
    var body: [UInt8]
}

/// A stand-in's answer. `deletions` is set for an accepted call, so that the ledger records what was deleted.
struct SandboxAnswer: Sendable {
    var status: Int
    var body: String
    var headers: [(String, String)] = []
    var deletions: [(kind: String, identifiers: [String])] = []
    /// The identifiers (users, for moengage_gdpr) the call deleted at once.
    var batchSize = 0
    /// Set for a well-formed call about a user or device the vendor does not hold: not a malformed call.
    var unknownUser = false

    static func json(_ status: Int, _ object: Any) -> SandboxAnswer {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return SandboxAnswer(status: status, body: String(decoding: data, as: UTF8.self))
    }
}

/// One vendor API's rules, as its documentation states them.
protocol StandIn: Sendable {
    /// The vendor's name, as erasure-relay's configuration and the sandbox's output give it.
    var name: String { get }
    func answer(_ call: SandboxCall) -> SandboxAnswer
    /// The answer when the quota is exceeded.
    func tooManyRequests(retryAfterSeconds: Int, resetEpochSeconds: Int) -> SandboxAnswer
    /// Headers every answer carries (Braze's rate-limit headers).
    func commonHeaders(quota: SandboxConfiguration.Quota, resetEpochSeconds: Int) -> [(String, String)]
    /// The credentials it accepts, as erasure-relay's configuration keys for the vendor name them.
    var relayCredentials: [(key: String, value: String)] { get }
}

extension StandIn {
    func commonHeaders(quota: SandboxConfiguration.Quota, resetEpochSeconds: Int) -> [(String, String)] { [] }
    var relayCredentials: [(key: String, value: String)] { [] }
}

enum SandboxParsing {
    static func basicCredentials(_ header: String?) -> (String, String)? {
        guard let header, header.hasPrefix("Basic "),
            let data = Data(base64Encoded: String(header.dropFirst(6))),
            let text = String(data: data, encoding: .utf8),
            let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    static func jsonObject(_ body: [UInt8]) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }

    static func isJSONContentType(_ value: String?) -> Bool {
        guard let value else { return false }
        return value.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
            == "application/json"
    }

    /// Decodes one path segment; nil if it holds a character that must have been percent-encoded.
    static func decodeSegment(_ raw: Substring) -> String? {
        let allowed = CharacterSet(
            charactersIn:
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%!$&'()*+,;=:@"
        )
        guard raw.unicodeScalars.allSatisfy(allowed.contains), let decoded = raw.removingPercentEncoding,
            !decoded.isEmpty, decoded != ".", decoded != ".."
        else { return nil }
        return decoded
    }
}

/// Braze `POST /users/delete`.
struct BrazeStandIn: StandIn {
    let name = SandboxVendor.braze.rawValue
    var relayCredentials: [(key: String, value: String)] { [("api_key", apiKey)] }
    let apiKey: String
    private static let kinds = ["external_ids", "user_aliases", "braze_ids", "email_addresses", "phone_numbers"]

    func commonHeaders(quota: SandboxConfiguration.Quota, resetEpochSeconds: Int) -> [(String, String)] {
        [("X-RateLimit-Limit", "\(quota.requests)"), ("X-RateLimit-Reset", "\(resetEpochSeconds)")]
    }

    func tooManyRequests(retryAfterSeconds: Int, resetEpochSeconds: Int) -> SandboxAnswer {
        var answer = SandboxAnswer.json(429, ["message": "Rate limit exceeded", "errors": ["rate limited"]])
        answer.headers = [
            ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "\(resetEpochSeconds)"),
            ("Retry-After", "\(retryAfterSeconds)"),
        ]
        return answer
    }

    private static func fail(_ status: Int, _ message: String) -> SandboxAnswer {
        .json(status, ["message": message, "errors": [message]])
    }

    func answer(_ call: SandboxCall) -> SandboxAnswer {
        guard call.rawPath == "/users/delete", call.rawQuery == nil else { return Self.fail(404, "Not found") }
        guard call.method == "POST" else { return Self.fail(405, "Method not allowed") }
        guard let authorization = call.headers["authorization"], authorization.hasPrefix("Bearer ") else {
            return Self.fail(401, "Missing API key")
        }
        // Braze answers an unknown REST API key with 404.
        guard authorization.dropFirst(7) == apiKey else { return Self.fail(404, "Invalid API key") }
        guard SandboxParsing.isJSONContentType(call.headers["content-type"]) else {
            return Self.fail(400, "Content-Type must be application/json")
        }
        guard let body = SandboxParsing.jsonObject(call.body) else { return Self.fail(400, "Invalid JSON") }
        let present = body.keys.filter { Self.kinds.contains($0) }
        guard body.keys.count == present.count else { return Self.fail(400, "Unknown field") }
        guard present.count == 1, let kind = present.first else {
            return Self.fail(400, "Exactly one of \(Self.kinds.joined(separator: ", ")) may be given")
        }
        guard let entries = body[kind] as? [Any], !entries.isEmpty else {
            return Self.fail(400, "\(kind) must be a non-empty array")
        }
        guard entries.count <= 50 else { return Self.fail(400, "Up to 50 identifiers per request") }
        var identifiers: [String] = []
        for entry in entries {
            switch kind {
            case "user_aliases":
                guard let alias = entry as? [String: Any], alias.count == 2,
                    let name = alias["alias_name"] as? String, let label = alias["alias_label"] as? String,
                    !name.isEmpty, !label.isEmpty
                else { return Self.fail(400, "user_aliases entries need alias_name and alias_label") }
                identifiers.append("\(label):\(name)")
            case "email_addresses":
                guard let object = entry as? [String: Any], object.count == 2,
                    let email = object["email"] as? String, email.contains("@"),
                    let prioritization = object["prioritization"] as? [String],
                    Self.validPrioritization(prioritization)
                else { return Self.fail(400, "email_addresses entries need email and a valid prioritization") }
                identifiers.append(email)
            default:
                guard let value = entry as? String, !value.isEmpty else {
                    return Self.fail(400, "\(kind) entries must be non-empty strings")
                }
                identifiers.append(value)
            }
        }
        var answer = SandboxAnswer.json(201, ["deleted": identifiers.count, "message": "success"])
        answer.deletions = [(kind, identifiers)]
        answer.batchSize = identifiers.count
        return answer
    }

    private static func validPrioritization(_ values: [String]) -> Bool {
        let allowed: Set = ["identified", "unidentified", "most_recently_updated"]
        return !values.isEmpty && values.allSatisfy(allowed.contains) && Set(values).count == values.count
            && !(values.contains("identified") && values.contains("unidentified"))
    }
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

/// A declared vendor's stand-in, as ``DeclaredStandIn`` describes it.
struct DeclaredVendorStandIn: StandIn {
    let declared: DeclaredStandIn
    var name: String { declared.name }

    func answer(_ call: SandboxCall) -> SandboxAnswer {
        answer(
            declared.answer(
                DeclaredStandIn.Call(
                    method: call.method,
                    rawPath: call.rawPath,
                    rawQuery: call.rawQuery,
                    headers: call.headers,
                    body: call.body
                )
            )
        )
    }

    func tooManyRequests(retryAfterSeconds: Int, resetEpochSeconds: Int) -> SandboxAnswer {
        answer(declared.tooManyRequests(retryAfterSeconds, resetEpochSeconds))
    }

    private func answer(_ reply: DeclaredStandIn.Reply) -> SandboxAnswer {
        var answer = SandboxAnswer(status: reply.status, body: reply.body, headers: reply.headers)
        answer.deletions = reply.deleted.map { ($0.name, $0.identifiers) }
        answer.batchSize = reply.deleted.map(\.identifiers.count).reduce(0, +)
        answer.unknownUser = reply.unknownUser
        return answer
    }
}
