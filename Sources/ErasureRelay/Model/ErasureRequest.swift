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

/// A vendor erasure-relay can call: a built-in one, or one declared in configuration (`kind: http`). The raw value
/// is the name used in configuration, requests, outcomes, progress headers and metrics.
public struct VendorID: RawRepresentable, Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// A vendor name: 1 to 32 of `a-z`, `0-9` and `_`. Nil for anything else.
    public init?(rawValue: String) {
        guard (1...Self.maxNameLength).contains(rawValue.utf8.count),
            rawValue.utf8.allSatisfy({ Self.isNameByte($0) })
        else { return nil }
        self.rawValue = rawValue
    }

    /// A built-in vendor's name, known to be valid.
    init(builtIn name: String) {
        self.rawValue = name
    }

    /// The vendors erasure-relay ships an adapter for, in the order they are listed everywhere.
    public static let builtIn: [VendorID] = BuiltInVendor.registry.map(\.id)

    /// Whether this is one of ``builtIn``.
    public var isBuiltIn: Bool { Self.builtIn.contains(self) }

    /// The longest vendor name.
    public static let maxNameLength = 32

    static func isNameByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "_")
    }

    public var description: String { rawValue }

    /// Built-in vendors first, in their own order, then the others by name.
    public static func < (lhs: VendorID, rhs: VendorID) -> Bool {
        switch (builtIn.firstIndex(of: lhs), builtIn.firstIndex(of: rhs)) {
        case (let left?, let right?): left < right
        case (_?, nil): true
        case (nil, _?): false
        case (nil, nil): lhs.rawValue < rhs.rawValue
        }
    }

    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let vendor = VendorID(rawValue: name) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not a vendor name")
            )
        }
        self = vendor
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
