/// A declared vendor's stand-in, as ``DeclaredStandIn`` describes it.
struct DeclaredVendorStandIn: StandIn {
    let declared: DeclaredStandIn
    var name: String { declared.name }

    func answer(_ call: SandboxCall) -> SandboxAnswer {
        declared.answer(call)
    }

    func tokenAnswer(_ call: SandboxCall) -> SandboxAnswer? {
        declared.tokenEndpoint?(call)
    }

    func tooManyRequests(retryAfterSeconds: Int, resetEpochSeconds: Int) -> SandboxAnswer {
        declared.tooManyRequests(retryAfterSeconds, resetEpochSeconds)
    }
}
