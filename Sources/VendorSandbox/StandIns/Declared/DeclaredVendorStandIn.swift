import Foundation

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
