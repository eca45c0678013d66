import NIOHTTP1

/// A vendor declared in configuration (`vendors.NAME` with `kind: http`): how its calls look, which identifiers it
/// takes and how its answers read. ``DeclaredVendorAdapter`` makes the calls; the lane batches, meters, retries and
/// parks them as it does a built-in vendor's.
public struct HTTPVendorDefinition: Sendable {
    /// What one call carries.
    public enum Scope: String, Sendable, CaseIterable {
        /// One identifier per call: `{identifier}` and `{identifier_name}` in the templates.
        case identifier
        /// One request's identifiers per call, each by its name in the templates.
        case subject
        /// Identifiers of several requests per call: the body's `{items}` slot holds one `item` per identifier.
        case batch
    }

    /// A request identifier the vendor takes.
    public struct Identifier: Sendable, Hashable {
        /// Where in the request it is.
        public var field: SubjectField
        /// The name the templates know it by, and its batching group.
        public var name: String
        /// Applied in order, before hashing.
        public var normalization: [Normalization]
        /// Sent as this hash of the (normalised) value, for vendors that take hashed identifiers.
        public var hash: Hash?
        /// This identifier's own batch item template, in place of `request.item`.
        public var item: JSONTemplate?
    }

    public enum Normalization: String, Sendable, Hashable, CaseIterable {
        /// Leading and trailing white space removed.
        case trim
        /// Lower case.
        case lowercase
    }

    public enum Hash: String, Sendable, Hashable, CaseIterable {
        /// SHA-256, as lower-case hex.
        case sha256
    }

    /// How the vendor knows the caller. Each value names a setting or secret.
    public enum Auth: Sendable, Hashable {
        case none
        /// `Authorization: Bearer <secret>`.
        case bearer(secret: String)
        /// `Authorization: Basic` of `username:password`.
        case basic(username: String, password: String)
        /// The secret in the header named, after `prefix` (such as Klaviyo's `Klaviyo-API-Key `).
        case header(name: String, secret: String, prefix: String = "")
        /// The secret in the query parameter named.
        case query(name: String, secret: String)
        /// `Authorization: Bearer` of a token the lane obtains with OAuth 2.0's client credentials grant.
        case oauth2ClientCredentials(OAuth2ClientCredentials)
        /// `Authorization: Bearer` of a token the lane obtains with OAuth 2.0's JWT bearer grant.
        case oauth2JWTBearer(OAuth2JWTBearer)

        /// The auth as `check-config` shows it: its kind, and where an OAuth 2.0 token comes from.
        var summary: String {
            switch self {
            case .none: "none"
            case .bearer: "bearer"
            case .basic: "basic"
            case .header(let name, _, _): "header \(name)"
            case .query(let name, _): "query \(name)"
            case .oauth2ClientCredentials(let grant): "oauth2_client_credentials from \(grant.tokenURL)"
            case .oauth2JWTBearer(let grant): "oauth2_jwt_bearer from \(grant.tokenURL)"
            }
        }

        /// The grant the lane obtains its token with, for an OAuth 2.0 auth.
        public var grant: (any OAuth2Grant)? {
            switch self {
            case .oauth2ClientCredentials(let grant): grant
            case .oauth2JWTBearer(let grant): grant
            case .none, .bearer, .basic, .header, .query: nil
            }
        }
    }

    public enum ContentType: String, Sendable, Hashable, CaseIterable {
        case json
        /// JSON sent as JSON:API's `application/vnd.api+json`, as Klaviyo requires.
        case jsonAPI = "json_api"
        case form

        /// The `Content-Type` a body of this kind is sent with.
        public var mediaType: String {
            switch self {
            case .json: "application/json"
            case .jsonAPI: "application/vnd.api+json"
            case .form: "application/x-www-form-urlencoded"
            }
        }

        /// Whether the body is JSON.
        public var isJSON: Bool { self != .form }
    }

    /// What an answer means.
    public enum AnswerClass: String, Sendable, Hashable, CaseIterable {
        /// The vendor took the erasure.
        case accepted
        /// The vendor holds no such user: accepted, with a note.
        case notFound = "not_found"
        /// Worth trying again, after the lane's backoff or a `Retry-After` the vendor sent.
        case retriable
        /// Worth trying again after the wait the vendor gives in `wait_header`.
        case rateLimited = "rate_limited"
        /// Trying again will not help.
        case permanent
    }

    /// What an answer's body is.
    public enum BodyShape: String, Sendable, Hashable, CaseIterable {
        case json
        case empty
    }

    /// How a vendor says how long to wait.
    public enum WaitFormat: String, Sendable, Hashable, CaseIterable {
        /// Seconds to wait, or an HTTP date, as `Retry-After` gives it.
        case seconds
        /// The time to wait until, in Unix epoch seconds, as Braze's `X-RateLimit-Reset` gives it.
        case epochSeconds = "epoch_seconds"
    }

    /// One rule of `answers.rules`: it matches when every condition given holds.
    public struct AnswerRule: Sendable, Hashable {
        /// `status`: a code, or a range such as `200-299`.
        public var status: ClosedRange<Int>?
        /// `json_path`: the answer's JSON value there must exist, and equal `equals` when that is given.
        public var jsonPath: JSONPath?
        /// `equals`: compared with the value at `json_path` as text (a string, a number, `true`, `false`, `null`).
        public var equals: String?
        /// `body_contains`: text the answer's body must contain.
        public var bodyContains: String?
        /// `has_header`: a header the answer must carry.
        public var hasHeader: String?
        /// `body`: what the answer's body must be, such as JSON for a 404 that is the vendor's own answer and not a
        /// proxy's page.
        public var bodyShape: BodyShape?
        /// `result`.
        public var result: AnswerClass
        /// `wait_header`: where a `rate_limited` answer gives its wait, in seconds or as an HTTP date. Default
        /// `Retry-After`.
        public var waitHeader: String
        /// `wait_format`: how `wait_header` gives the wait. Default `seconds`.
        public var waitFormat: WaitFormat
        /// `split_batch`: whether a `permanent` answer to a batch is split to find the identifiers at fault, rather
        /// than failing every request in it. Default true; false suits answers about the account, such as 401.
        public var splitBatch: Bool
        /// `note`: for an `accepted` answer, what the outcome notes about it, such as Braze's "queued".
        public var note: String?
    }

    public var method: HTTPMethod
    /// The path of `request.url`, relative to `base_url`.
    public var path: TemplateText
    /// The query of `request.url`, by parameter.
    public var query: [(name: String, value: TemplateText)]
    public var headers: [(name: String, value: TemplateText)]
    public var auth: Auth
    public var contentType: ContentType
    public var body: JSONTemplate?
    /// A batch's template for each identifier.
    public var item: JSONTemplate?
    public var scope: Scope
    /// Whether one batch may carry identifiers of several kinds.
    public var mixKinds: Bool
    /// `request.batch_by: subject`: a batch item is one request's identifiers, all of them in the same call, and
    /// `batch.max_size` counts requests (users) rather than identifiers.
    public var batchesSubjects: Bool
    public var identifiers: [Identifier]
    public var settings: [String: String]
    public var secrets: [String: Secret]
    public var rules: [AnswerRule]
    public var defaultResult: AnswerClass
    /// Where an accepted answer holds the vendor's reference for the erasure.
    public var referencePath: JSONPath?
    /// Where an accepted answer holds how many users the vendor deleted, as Braze's `deleted`.
    public var deletedCountPath: JSONPath?
    /// `request.lookup`: the call that finds the vendor's ids before each delete.
    public var lookup: LookUp?
    /// `job`: how to follow the deletion job an accepted answer names, for a vendor that erases as a job.
    public var job: Job?

    /// The placeholders no definition may use for its own settings or identifiers.
    static let reservedNames: Set<String> = [
        "identifier", "identifier_name", "now", SubjectField.aliasLabel, JSONTemplate.itemsSlot, foundID, jobID,
    ]

}
