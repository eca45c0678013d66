import NIOHTTP1

extension HTTPVendorDefinition {
    /// `request.lookup`: a call that finds the vendor's own ids for an identifier before the delete, as Intercom's
    /// and Zendesk's APIs need. Each id found becomes a `{found_id}` the delete call carries; no match is
    /// `not_found`, and more matches than `max_matches` fail the identifier rather than delete them all.
    public struct LookUp: Sendable {
        public var method: HTTPMethod
        public var path: TemplateText
        public var query: [(name: String, value: TemplateText)]
        public var contentType: ContentType
        public var body: JSONTemplate?
        /// `matches`: where the answer holds the list of matches.
        public var matches: JSONPath
        /// `id`: where each match holds its id.
        public var id: JSONPath
        /// `max_matches`: the most matches deleted for one identifier.
        public var maxMatches: Int
    }

    /// The placeholder of an id a look-up found, and the kind of the items that carry one.
    public static let foundID = "found_id"
    /// The longest id a look-up may find: vendors' ids are tens of characters.
    static let maxFoundIDBytes = 256
}

extension HTTPVendorDefinition.LookUp {
    init(node: ConfigNode) throws(ConfigurationError) {
        (method, path, query) = try HTTPVendorDefinition.methodAndURL(node)
        contentType = try HTTPVendorDefinition.choice(node, "content_type", default: .json)
        body = try JSONTemplate.read(optional: node.yaml("body"), key: node.qualified("body"))
        func jsonPath(_ key: String, example: String) throws(ConfigurationError) -> JSONPath {
            let text = try node.requiredString(key)
            guard let path = JSONPath(text) else {
                throw ConfigurationError(key: node.qualified(key), message: "must be a path such as \(example)")
            }
            return path
        }
        matches = try jsonPath("matches", example: "data")
        id = try jsonPath("id", example: "id")
        guard let maxMatches = try node.int("max_matches", in: 1...100) else {
            throw ConfigurationError(
                key: node.qualified("max_matches"),
                message: "is required: the most matches one identifier may have before none is deleted (1 to 100)"
            )
        }
        self.maxMatches = maxMatches
        try node.rejectUnknownKeys()
    }

    /// Every placeholder the look-up's templates use, with the key naming where.
    func uses(at key: String) -> [(name: String, key: String)] {
        var uses = path.placeholders.map { ($0, "\(key).url") }
        uses += query.flatMap { $0.value.placeholders.map { ($0, "\(key).url") } }
        uses += body?.placeholders(at: "\(key).body") ?? []
        return uses
    }
}
