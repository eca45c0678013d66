import Foundation

extension DeclaredStandIn {
    /// Mixpanel's GDPR and CCPA API (v3) as its documentation states it, written apart from any definition of it, so
    /// that a definition that misreads the API fails against it: `POST /data-deletions/v3.0/?token=PROJECT` with 1 to
    /// 2,000 `distinct_ids` and a `compliance_type` of `GDPR` or `CCPA` answers `results.task_id`, and
    /// `GET /data-deletions/v3.0/{task_id}?token=PROJECT` answers the task's `results.status` (`PENDING`, `STARTED`,
    /// then `SUCCESS` or `FAILURE`), with the task's distinct ids as the real API lists them, or 404 for a task it
    /// never created. Every call needs `Authorization: Bearer` with the GDPR API's OAuth token.
    ///
    /// Each task runs as ``SandboxConfiguration/jobFate(of:)`` decides for its distinct ids. Deleted ids are recorded
    /// under `distinct_id`.
    /// - Parameters:
    ///   - name: the vendor's name in erasure-relay's configuration.
    ///   - projectToken: the project every call must name in its `token` query parameter.
    ///   - oauthToken: the OAuth token every call must carry.
    ///   - quota: the calls the project allows.
    public static func mixpanel(
        name: String = "mixpanel",
        projectToken: String,
        oauthToken: String,
        quota: SandboxConfiguration.Quota = .init(requests: 1, windowSeconds: 1)
    ) -> DeclaredStandIn {
        let tasks = SandboxJobs(prefix: "task-")
        let taskIDs = SandboxTaskSubjects()
        let base = "/data-deletions/v3.0/"
        return DeclaredStandIn(
            name: name,
            quota: quota,
            answer: { call in
                guard call.headers["authorization"] == "Bearer \(oauthToken)" else {
                    return mixpanelError(401, "Invalid OAuth token")
                }
                guard let fields = SandboxCall.formFields(call.rawQuery ?? ""), fields.count == 1,
                    fields[0] == ("token", projectToken)
                else { return mixpanelError(400, "token must name the project") }
                switch (call.method, call.rawPath) {
                case ("POST", base):
                    guard SandboxParsing.isJSONContentType(call.headers["content-type"]),
                        let body = SandboxParsing.jsonObject(call.body),
                        Set(body.keys) == ["distinct_ids", "compliance_type"],
                        let ids = body["distinct_ids"] as? [String], (1...2000).contains(ids.count),
                        ids.allSatisfy({ !$0.isEmpty }),
                        let compliance = body["compliance_type"] as? String, ["GDPR", "CCPA"].contains(compliance)
                    else { return mixpanelError(400, "invalid deletion request") }
                    let id = tasks.create(erasing: ids)
                    taskIDs.remember(ids, for: id)
                    var answer = SandboxAnswer.json(200, ["status": "ok", "results": ["task_id": id]])
                    answer.deletions = [("distinct_id", ids)]
                    return answer
                case ("GET", let path) where path.hasPrefix(base) && path.count > base.count:
                    guard let id = SandboxParsing.decodeSegment(path.dropFirst(base.count)), call.body.isEmpty
                    else { return mixpanelError(400, "invalid task id") }
                    guard let stage = tasks.check(id) else {
                        var answer = mixpanelError(404, "task not found")
                        answer.isJobCheck = true
                        return answer
                    }
                    let status =
                        switch stage {
                        case .running: "STARTED"
                        case .done: "SUCCESS"
                        case .failed: "FAILURE"
                        }
                    var answer = SandboxAnswer.json(
                        200,
                        [
                            "status": "ok",
                            "results": ["status": status, "distinct_ids": taskIDs.subjects(of: id)],
                        ]
                    )
                    answer.isJobCheck = true
                    return answer
                default:
                    return mixpanelError(404, "not found")
                }
            },
            tooManyRequests: { retryAfter, _ in
                var answer = mixpanelError(429, "rate limit exceeded")
                answer.headers = [("Retry-After", "\(retryAfter)")]
                return answer
            }
        )
    }

    private static func mixpanelError(_ status: Int, _ message: String) -> SandboxAnswer {
        SandboxAnswer.json(status, ["status": "error", "error": message])
    }
}
