import Foundation

extension DeclaredStandIn {
    /// Segment's Public API regulations as its documentation states them, written apart from any definition of them,
    /// so that a definition that misreads the API fails against it: `POST /regulations` with a deleting
    /// `regulationType`, `subjectType` `USER_ID` and 1 to 5,000 `subjectIds` answers `data.regulateId`, and
    /// `GET /regulations/{regulateId}` answers the regulation's `overallStatus` (`INITIALIZED`, `RUNNING`, then
    /// `FINISHED` or `FAILED`), or 404 for an id it never issued. Every call needs `Authorization: Bearer` with the
    /// token.
    ///
    /// Each regulation runs as ``SandboxConfiguration/jobFate(of:)`` decides for its user ids. Deleted user ids are
    /// recorded under `user_id`.
    /// - Parameters:
    ///   - name: the vendor's name in erasure-relay's configuration.
    ///   - token: the Public API token every call must carry.
    ///   - quota: the calls the workspace allows.
    public static func segment(
        name: String = "segment",
        token: String,
        quota: SandboxConfiguration.Quota = .init(requests: 1, windowSeconds: 1)
    ) -> DeclaredStandIn {
        let regulations = SandboxJobs(prefix: "2Ad7Nt1Vqc")
        let deleting: Set<String> = [
            "SUPPRESS_WITH_DELETE", "DELETE_ONLY", "SUPPRESS_WITH_DELETE_INTERNAL", "DELETE_INTERNAL",
        ]
        return DeclaredStandIn(
            name: name,
            quota: quota,
            answer: { call in
                guard call.headers["authorization"] == "Bearer \(token)" else {
                    return segmentError(401, "unauthorized", "invalid token")
                }
                switch (call.method, call.rawPath) {
                case ("POST", "/regulations"):
                    let mediaType = call.headers["content-type"]?.split(separator: ";").first?
                        .trimmingCharacters(in: .whitespaces).lowercased()
                    guard ["application/json", "application/vnd.segment.v1+json"].contains(mediaType),
                        let body = SandboxParsing.jsonObject(call.body),
                        Set(body.keys) == ["regulationType", "subjectType", "subjectIds"],
                        let type = body["regulationType"] as? String, deleting.contains(type),
                        body["subjectType"] as? String == "USER_ID",
                        let ids = body["subjectIds"] as? [String], (1...5000).contains(ids.count),
                        ids.allSatisfy({ !$0.isEmpty })
                    else { return segmentError(400, "validation", "invalid regulation") }
                    let id = regulations.create(erasing: ids)
                    var answer = SandboxAnswer.json(200, ["data": ["regulateId": id]])
                    answer.deletions = [("user_id", ids)]
                    return answer
                case ("GET", let path) where path.hasPrefix("/regulations/"):
                    guard let id = SandboxParsing.decodeSegment(path.dropFirst("/regulations/".count)),
                        call.body.isEmpty
                    else { return segmentError(400, "validation", "invalid regulation id") }
                    guard let stage = regulations.check(id) else {
                        var answer = segmentError(404, "not-found", "regulation not found")
                        answer.isJobCheck = true
                        return answer
                    }
                    let status =
                        switch stage {
                        case .running: "RUNNING"
                        case .done: "FINISHED"
                        case .failed: "FAILED"
                        }
                    var answer = SandboxAnswer.json(
                        200,
                        ["data": ["regulation": ["id": id, "workspaceId": "sandbox", "overallStatus": status]]]
                    )
                    answer.isJobCheck = true
                    return answer
                default:
                    return segmentError(404, "not-found", "resource not found")
                }
            },
            tooManyRequests: { retryAfter, _ in
                var answer = segmentError(429, "rate-limit", "too many requests")
                answer.headers = [("Retry-After", "\(retryAfter)")]
                return answer
            }
        )
    }

    private static func segmentError(_ status: Int, _ type: String, _ message: String) -> SandboxAnswer {
        SandboxAnswer.json(status, ["errors": [["type": type, "message": message]]])
    }
}
