import NIOHTTP1

/// One request's identifiers of one kind, as a vendor will receive them.
///
/// Items of the same `kind` from different requests may share a call; items of different kinds never do.
public struct VendorItem: Sendable, Hashable {
    /// The batching group, such as Braze's `external_ids` or `email_addresses`.
    public var kind: String
    /// What goes on the wire: a JSON fragment for body-carried identifiers, the raw identifier for path-carried ones.
    public var payload: [UInt8]
    /// The identifier values the item carries, as the request gave them. They serve only to scrub vendor answers
    /// that echo them back (see ``VendorText``), so that no identifier reaches an outcome or a log that way.
    public var values: [String]
    /// How many identifiers the item carries, for the outcome's `identifiers` count.
    public var identifierCount: Int
    /// Each identifier as the vendor receives it (normalised and hashed where the vendor asks for that): what a call
    /// carrying this item must send whole, or the lane does not send it. An answer stands for these and nothing else.
    public var carried: [String]

    /// - Parameters:
    ///   - kind: the batching group.
    ///   - payload: the bytes the call carries for this item.
    ///   - values: the identifier values, for scrubbing vendor answers.
    ///   - carried: each identifier as sent; defaults to `values`, for an adapter that sends identifiers unchanged.
    ///   - identifierCount: defaults to one identifier per value.
    public init(
        kind: String,
        payload: [UInt8],
        values: [String],
        carried: [String]? = nil,
        identifierCount: Int? = nil
    ) {
        self.kind = kind
        self.payload = payload
        self.values = values
        self.carried = carried ?? values
        self.identifierCount = identifierCount ?? values.count
    }
}

/// An HTTP call to make, relative to the vendor's base URL.
public struct VendorCall: Sendable, Hashable {
    /// The HTTP method.
    public var method: HTTPMethod
    /// Path and query, already percent-encoded, starting with `/`.
    public var pathAndQuery: String
    /// Request headers, credentials included; never logged.
    public var headers: [(String, String)]
    /// The body, if the call has one.
    public var body: [UInt8]?

    public init(method: HTTPMethod, pathAndQuery: String, headers: [(String, String)], body: [UInt8]?) {
        self.method = method
        self.pathAndQuery = pathAndQuery
        self.headers = headers
        self.body = body
    }

    public static func == (lhs: VendorCall, rhs: VendorCall) -> Bool {
        lhs.method == rhs.method && lhs.pathAndQuery == rhs.pathAndQuery && lhs.body == rhs.body
            && lhs.headers.map { "\($0.0): \($0.1)" } == rhs.headers.map { "\($0.0): \($0.1)" }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(pathAndQuery)
        hasher.combine(body)
    }
}

/// A vendor's answer.
public struct VendorResponse: Sendable {
    /// The HTTP status code.
    public var status: Int
    /// The response headers, such as `Retry-After`.
    public var headers: HTTPHeaders
    /// The response body as received.
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// How a call ended, as the lane needs to know it.
public enum CallResult: Sendable, Hashable {
    /// The vendor took the erasure. `note` explains an accepted call with nothing to delete (an unknown user).
    case accepted(reference: String?, deleted: Int?, note: String?)
    /// Trying the same call again will not help. When `isolateItems` is true the vendor judged the batch as a whole,
    /// so it is split to find the items at fault instead of failing their neighbours.
    case rejected(reason: String, isolateItems: Bool)
    /// The call may succeed later. `retryAfter` is how long the vendor asked every caller to wait, in seconds.
    case retriable(reason: String, retryAfter: Double?)
}

extension CallResult {
    /// The most users a vendor may report as deleted by one call; a larger count is not believed.
    static let maxDeletedCount = 1_000_000

    /// The result made safe to keep: every identifier of `items` scrubbed from its texts (see ``VendorText``), the
    /// vendor's reference bounded to 128 printable ASCII characters, its counts and waits within range.
    /// - Parameter items: the identifiers the call carried, to scrub from the vendor's text.
    public func sanitized(for items: [VendorItem]) -> CallResult {
        switch self {
        case .accepted(let reference, let deleted, let note):
            let (kept, referenceNote) = VendorText.reference(reference, of: items)
            let notes = [note.map { VendorText.scrub($0, of: items) }, referenceNote].compactMap { $0 }
            return .accepted(
                reference: kept,
                deleted: deleted.flatMap { (0...Self.maxDeletedCount).contains($0) ? $0 : nil },
                note: notes.isEmpty ? nil : notes.joined(separator: "; ")
            )
        case .rejected(let reason, let isolateItems):
            return .rejected(reason: VendorText.scrub(reason, of: items), isolateItems: isolateItems)
        case .retriable(let reason, let retryAfter):
            return .retriable(
                reason: VendorText.scrub(reason, of: items),
                retryAfter: retryAfter.flatMap(RetryHints.clamped)
            )
        }
    }
}

/// What a vendor API needs: which identifiers it takes, how they batch, how a call looks and how answers read.
public protocol VendorAdapter: Sendable {
    var vendor: VendorID { get }
    /// The most items one call may carry.
    var maxItemsPerCall: Int { get }
    /// The largest body a call may have, if the vendor limits it.
    var maxBodyBytes: Int? { get }
    /// The items a request gives this vendor; empty when the vendor understands none of its identifiers.
    func items(for request: ErasureRequest) -> [VendorItem]
    /// The call carrying `items`, which all share one kind. `now` stamps calls that carry a time.
    func call(for items: [VendorItem], now: Timestamp) -> VendorCall
    /// Reads an answer.
    func classify(_ response: VendorResponse) -> CallResult
}

extension VendorAdapter {
    /// The body size of the call carrying `items`, for byte-limited vendors.
    public func bodySize(of items: [VendorItem], now: Timestamp) -> Int {
        call(for: items, now: now).body?.count ?? 0
    }
}

extension VendorAdapter {
    /// `items` as calls with nothing else queued: grouped by kind in order of arrival, each call as full as the
    /// adapter's count and byte limits allow. A lane may also batch them with other requests' items.
    public func batches(of items: [VendorItem], now: Timestamp) -> [[VendorItem]] {
        var kinds: [String] = []
        var byKind: [String: [VendorItem]] = [:]
        for item in items {
            if byKind[item.kind] == nil { kinds.append(item.kind) }
            byKind[item.kind, default: []].append(item)
        }
        var batches: [[VendorItem]] = []
        for kind in kinds {
            var current: [VendorItem] = []
            for item in byKind[kind]! {
                let candidate = current + [item]
                let fits =
                    candidate.count <= maxItemsPerCall
                    && maxBodyBytes.map { bodySize(of: candidate, now: now) <= $0 } ?? true
                if fits || current.isEmpty {
                    current = candidate
                } else {
                    batches.append(current)
                    current = [item]
                }
            }
            if !current.isEmpty { batches.append(current) }
        }
        return batches
    }
}
