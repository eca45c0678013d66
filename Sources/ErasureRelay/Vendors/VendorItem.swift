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
    /// Whether the item goes in a call of its own whatever the vendor's batch size, as a job's status check does.
    public var travelsAlone = false

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
