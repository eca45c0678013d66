import Foundation

/// A stand-in's answer. `deletions` is set for an accepted call, so that the ledger records what was deleted.
public struct SandboxAnswer: Sendable {
    public var status: Int
    public var body: String
    public var headers: [(String, String)]
    /// The identifiers an accepted call deleted, by kind (the name a declared vendor's definition gives them).
    public var deletions: [(kind: String, identifiers: [String])]
    /// The identifiers (users, for moengage_gdpr) the call deleted at once.
    public var batchSize: Int
    /// Set for a well-formed call about a user or device the vendor does not hold: not a malformed call.
    public var unknownUser: Bool
    /// Set for the answer to a well-formed look-up, which deletes nothing and is not a malformed call either.
    public var isLookUp = false
    /// Set for the answer to a well-formed status call about a deletion job, known to the vendor or not.
    public var isJobCheck = false

    /// - Parameters:
    ///   - status: the HTTP status.
    ///   - body: the body, as sent.
    ///   - headers: the answer's headers, in order.
    ///   - deletions: what an accepted call deleted, by kind.
    ///   - batchSize: the identifiers deleted at once; by default every identifier of `deletions`.
    ///   - unknownUser: whether the call was about a user the vendor does not hold.
    public init(
        status: Int,
        body: String,
        headers: [(String, String)] = [],
        deletions: [(kind: String, identifiers: [String])] = [],
        batchSize: Int? = nil,
        unknownUser: Bool = false
    ) {
        self.status = status
        self.body = body
        self.headers = headers
        self.deletions = deletions
        self.batchSize = batchSize ?? deletions.map(\.identifiers.count).reduce(0, +)
        self.unknownUser = unknownUser
    }

    /// An answer whose body is `object` as JSON, keys sorted.
    /// - Parameters:
    ///   - status: the HTTP status.
    ///   - object: a JSON-serializable dictionary or array.
    public static func json(_ status: Int, _ object: Any) -> SandboxAnswer {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return SandboxAnswer(status: status, body: String(decoding: data, as: UTF8.self))
    }
}
