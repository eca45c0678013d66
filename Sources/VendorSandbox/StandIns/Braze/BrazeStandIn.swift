import Foundation

extension SandboxVendor {
    public static let braze = SandboxVendor(builtIn: "braze")
}

extension BuiltInStandIn {
    /// Braze's `/users/delete`: 20,000 calls a minute.
    static let braze = BuiltInStandIn(
        vendor: .braze,
        documentedQuota: SandboxConfiguration.Quota(requests: 20_000, windowSeconds: 60),
        make: { _ in BrazeStandIn(apiKey: "sandbox-braze-key") }
    )
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
