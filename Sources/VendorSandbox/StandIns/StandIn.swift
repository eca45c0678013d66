import Foundation

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
    /// The answer to a call to the vendor's token endpoint, which is not part of the API its quota meters; nil for
    /// any other call.
    func tokenAnswer(_ call: SandboxCall) -> SandboxAnswer?
}

extension StandIn {
    func commonHeaders(quota: SandboxConfiguration.Quota, resetEpochSeconds: Int) -> [(String, String)] { [] }
    var relayCredentials: [(key: String, value: String)] { [] }
    func tokenAnswer(_ call: SandboxCall) -> SandboxAnswer? { nil }
}
