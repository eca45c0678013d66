import NIOHTTP1

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
    /// The transport one lane sends its calls through: `transport` itself, or one that adds a credential the lane
    /// must obtain first, such as an OAuth 2.0 token.
    func authorizing(_ transport: any VendorTransport) -> any VendorTransport
    /// For a vendor whose identifiers are looked up before they are deleted: what the answer to `item`'s look-up
    /// found. Nil when `item`'s call was not a look-up.
    func lookedUp(_ response: VendorResponse, for item: VendorItem) -> LookUpResult?
    /// Whether the vendor takes an erasure as a job whose state is followed: every accepted call must then name
    /// its job, or the request's confirmation cannot say the erasure was done.
    var followsJobs: Bool { get }
    /// For a vendor that follows jobs: the item whose call asks for the state of the job `jobID`; nil otherwise.
    func jobStatusItem(for jobID: String) -> VendorItem?
    /// For a vendor that follows jobs: what the answer to `item`'s status call says. Nil when `item`'s call was not
    /// a status call.
    func jobChecked(_ response: VendorResponse, for item: VendorItem) -> JobCheck?
}

extension VendorAdapter {
    public func authorizing(_ transport: any VendorTransport) -> any VendorTransport { transport }
    public func lookedUp(_ response: VendorResponse, for item: VendorItem) -> LookUpResult? { nil }
    public var followsJobs: Bool { false }
    public func jobStatusItem(for jobID: String) -> VendorItem? { nil }
    public func jobChecked(_ response: VendorResponse, for item: VendorItem) -> JobCheck? { nil }
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
