import ErasureRelay

/// What a stand-in makes of a call: who made it, whether it has the definition's shape, and which identifiers it
/// carries where the definition puts them.
public enum StandInVerdict: Sendable, Equatable {
    /// The credentials are missing or wrong.
    case unauthorized(String)
    /// The call is not one the definition makes: wrong method, path, query, content type, body or size.
    case malformed(String)
    /// A well-formed call, deleting these identifiers: by the name the definition gives them, in order.
    case deletes([Deletion])
    /// A well-formed look-up (`request.lookup`) of this identifier.
    case looksUp(identifier: String)
    /// A well-formed status call (`job.status`) about this job.
    case checksJob(id: String)

    /// Identifiers a call deletes, by the name the definition gives them.
    public struct Deletion: Sendable, Equatable {
        public var name: String
        public var values: [String]

        public init(name: String, values: [String]) {
            self.name = name
            self.values = values
        }
    }
}
