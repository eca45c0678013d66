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
    /// `custom`: up to ``maxCustomIdentifiers`` further identifiers by name, for vendors declared in configuration
    /// that name them (`custom.NAME`); no built-in vendor reads them.
    public var custom: [String: String]

    /// The most entries `custom` may hold.
    public static let maxCustomIdentifiers = 20
    /// The longest name in `custom`.
    public static let maxCustomNameLength = 64

    /// Whether `name` may name a custom identifier: 1 to 64 of `a-z`, `0-9` and `_`.
    public static func isCustomName(_ name: String) -> Bool {
        (1...maxCustomNameLength).contains(name.utf8.count) && name.utf8.allSatisfy(VendorID.isNameByte)
    }

    public init(
        externalID: String? = nil,
        brazeID: String? = nil,
        moengageID: String? = nil,
        email: String? = nil,
        phone: String? = nil,
        userAliases: [UserAlias] = [],
        engagelabRegistrationIDs: [String] = [],
        googleAdvertisingID: String? = nil,
        advertisingIdentifier: String? = nil,
        custom: [String: String] = [:]
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
        self.custom = custom
    }

    /// How many identifier values the subject carries.
    public var identifierCount: Int {
        [externalID, brazeID, moengageID, email, phone, googleAdvertisingID, advertisingIdentifier]
            .compactMap { $0 }.count + userAliases.count + engagelabRegistrationIDs.count + custom.count
    }

    public var description: String { "Subject(<\(identifierCount) identifiers redacted>)" }
}
