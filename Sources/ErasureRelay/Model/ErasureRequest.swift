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

/// The law under which erasure is requested.
public enum Regulation: String, Sendable, Hashable, CaseIterable {
    /// The EU General Data Protection Regulation, Art. 17.
    case gdpr
    /// The California Consumer Privacy Act.
    case ccpa

    /// GDPR Art. 12(3) allows one month; CCPA 1798.130 allows 45 days.
    public var defaultDeadlineDays: Int {
        switch self {
        case .gdpr: 30
        case .ccpa: 45
        }
    }
}

/// The person whose data is erased, by every identifier upstream knows.
///
/// - Important: every value here is personal data. It goes to vendors and nowhere else: never into logs, metrics or
///   outcomes. `description` is redacted for that reason.
public struct Subject: Sendable, Hashable, CustomStringConvertible {
    /// `external_id`: the id upstream systems share with the vendors (Braze `external_ids`, MoEngage `customer_id`).
    public var externalID: String?
    /// `braze_id`: Braze's own user id.
    public var brazeID: String?
    /// `moengage_id`: MoEngage's own user id.
    public var moengageID: String?
    /// `email`: an email address.
    public var email: String?
    /// `phone`: a phone number in E.164 form.
    public var phone: String?
    /// `user_aliases`: Braze user aliases.
    public var userAliases: [UserAlias]
    /// `engagelab_registration_ids`: EngageLab device registrations, deleted one by one.
    public var engagelabRegistrationIDs: [String]
    /// `google_advertising_id`: an Android advertising id, for MoEngage GDPR erasure.
    public var googleAdvertisingID: String?
    /// `advertising_identifier`: an iOS advertising id (IDFA), for MoEngage GDPR erasure.
    public var advertisingIdentifier: String?

    public init(
        externalID: String? = nil,
        brazeID: String? = nil,
        moengageID: String? = nil,
        email: String? = nil,
        phone: String? = nil,
        userAliases: [UserAlias] = [],
        engagelabRegistrationIDs: [String] = [],
        googleAdvertisingID: String? = nil,
        advertisingIdentifier: String? = nil
    ) {
        self.externalID = externalID
        self.brazeID = brazeID
        self.moengageID = moengageID
        self.email = email
        self.phone = phone
        self.userAliases = userAliases
        self.engagelabRegistrationIDs = engagelabRegistrationIDs
        self.googleAdvertisingID = googleAdvertisingID
        self.advertisingIdentifier = advertisingIdentifier
    }

    /// How many identifier values the subject carries.
    public var identifierCount: Int {
        [externalID, brazeID, moengageID, email, phone, googleAdvertisingID, advertisingIdentifier]
            .compactMap { $0 }.count + userAliases.count + engagelabRegistrationIDs.count
    }

    public var description: String { "Subject(<\(identifierCount) identifiers redacted>)" }
}

/// A Braze user alias.
public struct UserAlias: Sendable, Hashable {
    /// `alias_name`: the alias itself.
    public var aliasName: String
    /// `alias_label`: the kind of alias, such as `loyalty_id`.
    public var aliasLabel: String

    public init(aliasName: String, aliasLabel: String) {
        self.aliasName = aliasName
        self.aliasLabel = aliasLabel
    }
}

/// A vendor API erasure-relay can call. The raw values are the names used in configuration, requests and outcomes.
public enum VendorID: String, Sendable, Hashable, CaseIterable, Comparable, Codable {
    case braze
    case moengage
    case moengageGDPR = "moengage_gdpr"
    case engagelab

    public static func < (lhs: VendorID, rhs: VendorID) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
