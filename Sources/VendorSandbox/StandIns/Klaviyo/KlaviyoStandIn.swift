import Foundation

extension DeclaredStandIn {
    /// Klaviyo's Request Profile Deletion as its documentation states it, written apart from any definition of it:
    /// `POST /api/data-privacy-deletion-jobs` with `Authorization: Klaviyo-API-Key`, a `revision` header, a JSON:API
    /// body (`application/vnd.api+json`) naming exactly one of a profile's `email`, `phone_number` or `id`, answered
    /// 202 with no body. The endpoint's burst (3 a second) and steady (60 a minute) limits are both counted.
    /// - Parameters:
    ///   - name: the vendor's name in erasure-relay's configuration.
    ///   - apiKey: the private API key every call must carry.
    public static func klaviyo(name: String = "klaviyo", apiKey: String) -> DeclaredStandIn {
        DeclaredStandIn(
            name: name,
            quota: .init(requests: 3, windowSeconds: 1),
            otherQuotas: [.init(requests: 60, windowSeconds: 60)],
            answer: { call in
                guard call.headers["authorization"] == "Klaviyo-API-Key \(apiKey)" else {
                    return klaviyoError(401, "not_authenticated", "Incorrect authentication credentials.")
                }
                guard call.method == "POST", call.rawPath == "/api/data-privacy-deletion-jobs",
                    call.headers["revision"]?.wholeMatch(of: /\d{4}-\d{2}-\d{2}(\.[a-z]+)?/) != nil
                else { return klaviyoError(400, "invalid", "Invalid request.") }
                guard call.headers["content-type"]?.split(separator: ";").first == "application/vnd.api+json" else {
                    return klaviyoError(415, "unsupported_media_type", "Unsupported media type.")
                }
                guard let body = SandboxParsing.jsonObject(call.body), let data = body["data"] as? [String: Any],
                    data["type"] as? String == "data-privacy-deletion-job",
                    let attributes = data["attributes"] as? [String: Any],
                    let profile = (attributes["profile"] as? [String: Any])?["data"] as? [String: Any],
                    profile["type"] as? String == "profile",
                    let identifiers = profile["attributes"] as? [String: Any], identifiers.count == 1,
                    let (kind, value) = identifiers.first.flatMap({ key, value in (value as? String).map { (key, $0) } }
                    ),
                    ["email", "phone_number", "id"].contains(kind), !value.isEmpty
                else { return klaviyoError(400, "invalid", "Exactly one of email, phone_number or id is required.") }
                return SandboxAnswer(status: 202, body: "", deletions: [(kind, [value])])
            },
            tooManyRequests: { retryAfter, _ in
                var answer = klaviyoError(429, "throttled", "Request was throttled.")
                answer.headers = [("Retry-After", "\(retryAfter)")]
                return answer
            }
        )
    }

    private static func klaviyoError(_ status: Int, _ code: String, _ detail: String) -> SandboxAnswer {
        .json(status, ["errors": [["status": status, "code": code, "title": detail, "detail": detail]]])
    }
}
