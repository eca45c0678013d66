/// A validated erasure request, the value of a `user-erasure` message.
public struct ErasureRequest: Sendable, Hashable {
    /// The upstream system's id for the request; its idempotency key.
    public var requestID: String
    public var regulation: Regulation
    public var submittedAt: Timestamp
    /// When the erasure must be done by: as given, or `submittedAt` plus the regulation's default period.
    public var deadline: Timestamp
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
    case gdpr
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
    public var externalID: String?
    public var brazeID: String?
    public var moengageID: String?
    public var email: String?
    public var phone: String?
    public var userAliases: [UserAlias]
    public var engagelabRegistrationIDs: [String]
    public var googleAdvertisingID: String?
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
    public var aliasName: String
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
