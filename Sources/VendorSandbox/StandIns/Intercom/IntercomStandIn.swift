import Foundation
import Synchronization

extension DeclaredStandIn {
    /// Intercom's Contacts API as its documentation states it, written apart from any definition of it, so that a
    /// definition that misreads the API fails against it: `POST /contacts/search` with a single `=` filter on
    /// `email` or `external_id` answers a `list` of contacts, and `DELETE /contacts/{id}` deletes one, answering
    /// `deleted: true`, or 404 with an `error.list` for an id it does not hold. Every call needs
    /// `Authorization: Bearer` with the access token.
    ///
    /// The workspace holds no contact for an identifier starting with the sandbox's unknown-user prefix, N for one
    /// starting `matches-N-`, and one for any other. Deleted contacts are recorded under `contacts`, by id.
    /// - Parameters:
    ///   - name: the vendor's name in erasure-relay's configuration.
    ///   - accessToken: the token every call must carry.
    ///   - quota: the calls the workspace allows.
    ///   - unknownUserPrefix: identifiers starting with it have no contact.
    public static func intercom(
        name: String = "intercom",
        accessToken: String,
        quota: SandboxConfiguration.Quota = .init(requests: 166, windowSeconds: 10),
        unknownUserPrefix: String = SandboxConfiguration().unknownUserPrefix
    ) -> DeclaredStandIn {
        let contacts = Mutex<[String: (field: String, value: String)]>([:])
        return DeclaredStandIn(
            name: name,
            quota: quota,
            answer: { call in
                guard call.headers["authorization"] == "Bearer \(accessToken)" else {
                    return intercomError(401, "unauthorized", "Access Token Invalid")
                }
                switch (call.method, call.rawPath) {
                case ("POST", "/contacts/search"):
                    guard SandboxParsing.isJSONContentType(call.headers["content-type"]),
                        let body = SandboxParsing.jsonObject(call.body), body.count == 1,
                        let query = body["query"] as? [String: Any], query.count == 3,
                        let field = query["field"] as? String, ["email", "external_id"].contains(field),
                        query["operator"] as? String == "=", let value = query["value"] as? String, !value.isEmpty
                    else { return intercomError(400, "parameter_invalid", "Invalid query") }
                    let count = SandboxConfiguration.lookUpMatchCount(of: value, unknownUserPrefix: unknownUserPrefix)
                    let found = (0..<count).map { intercomContactID(of: value, index: $0) }
                    contacts.withLock { contacts in
                        for id in found { contacts[id] = (field, value) }
                    }
                    var answer = SandboxAnswer.json(
                        200,
                        [
                            "type": "list", "total_count": found.count,
                            "data": found.map { ["type": "contact", "id": $0, field: value] },
                            "pages": ["type": "pages", "page": 1, "per_page": 50, "total_pages": 1],
                        ]
                    )
                    answer.isLookUp = true
                    return answer
                case ("DELETE", let path) where path.hasPrefix("/contacts/"):
                    guard let id = SandboxParsing.decodeSegment(path.dropFirst("/contacts/".count)), call.body.isEmpty
                    else { return intercomError(400, "parameter_invalid", "Invalid id") }
                    guard contacts.withLock({ $0.removeValue(forKey: id) }) != nil else {
                        return intercomError(404, "not_found", "User Not Found")
                    }
                    var answer = SandboxAnswer.json(200, ["id": id, "type": "contact", "deleted": true])
                    answer.deletions = [("contacts", [id])]
                    answer.batchSize = 1
                    return answer
                default:
                    return intercomError(404, "not_found", "Resource Not Found")
                }
            },
            tooManyRequests: { retryAfter, resetAt in
                var answer = intercomError(429, "rate_limit_exceeded", "Exceeded rate limit")
                answer.headers = [("X-RateLimit-Reset", "\(resetAt)"), ("Retry-After", "\(retryAfter)")]
                return answer
            }
        )
    }

    private static func intercomError(_ status: Int, _ code: String, _ message: String) -> SandboxAnswer {
        SandboxAnswer.json(
            status,
            ["type": "error.list", "request_id": "sandbox", "errors": [["code": code, "message": message]]]
        )
    }

    /// A contact's id, as Intercom's look: 24 hexadecimal digits, stable for the value it was found by.
    static func intercomContactID(of value: String, index: Int) -> String {
        let digest = value.utf8.reduce(UInt64(14_695_981_039_346_656_037)) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
        let hex = String(digest, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex + String(format: "%08x", index)
    }
}
