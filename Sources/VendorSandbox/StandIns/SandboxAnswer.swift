import Foundation

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
