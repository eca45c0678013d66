/// A validated erasure request, the value of a `user-erasure` message.
public struct ErasureRequest: Sendable, Hashable {
    /// The upstream system's id for the request; its idempotency key.
    public var requestID: String
    /// `regulation`: the law the request is made under, which sets its default deadline.
    public var regulation: Regulation
    /// `submitted_at`: when the person asked.
    public var submittedAt: Timestamp
    /// When the erasure must be done by: as given, or `submittedAt` plus the regulation's default period.
    public var deadline: Timestamp
    /// `subject`: the person's identifiers.
    public var subject: Subject
    /// The vendors the request names, or nil for every configured vendor.
    public var vendors: [VendorID]?

    public init(
        requestID: String,
        regulation: Regulation,
        submittedAt: Timestamp,
        deadline: Timestamp? = nil,
        subject: Subject,
        vendors: [VendorID]? = nil
    ) {
        self.requestID = requestID
        self.regulation = regulation
        self.submittedAt = submittedAt
        self.deadline = deadline ?? submittedAt.adding(seconds: Int64(regulation.defaultDeadlineDays) * 86_400)
        self.subject = subject
        self.vendors = vendors
    }
}
