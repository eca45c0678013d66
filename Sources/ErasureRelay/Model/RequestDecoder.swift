import Foundation

/// Turns the bytes of a `user-erasure` message into an ``ErasureRequest``, or into a ``RequestRejection`` that names
/// the field at fault. Total: no input makes it crash or hang.
public struct RequestDecoder: Sendable {
    /// Limits on what a request may hold.
    public struct Limits: Sendable, Hashable {
        /// Largest accepted message value in bytes. Default 65,536.
        public var maxMessageBytes: Int = 65_536
        /// Longest accepted identifier in characters. Default 512.
        public var maxIdentifierLength: Int = 512
        /// Most entries in `user_aliases` or in `engagelab_registration_ids`. Default 100.
        public var maxListEntries: Int = 100

        public init(maxMessageBytes: Int = 65_536, maxIdentifierLength: Int = 512, maxListEntries: Int = 100) {
            self.maxMessageBytes = maxMessageBytes
            self.maxIdentifierLength = maxIdentifierLength
            self.maxListEntries = maxListEntries
        }
    }

    public var limits: Limits
    /// The vendors a request may name in `vendors`: the built-in ones and those declared in configuration.
    public var knownVendors: [VendorID]

    public init(limits: Limits = Limits(), knownVendors: [VendorID] = VendorID.builtIn) {
        self.limits = limits
        self.knownVendors = knownVendors
    }

    /// What could be read of a message even when it is rejected: its `request_id` and `regulation`, if valid.
    public struct Salvage: Sendable, Hashable {
        public var requestID: String?
        public var regulation: Regulation?
    }

    /// Decodes and validates one message value.
    public func decode(_ bytes: some Collection<UInt8>) -> Result<ErasureRequest, RejectedRequest> {
        var salvage = Salvage()
        do throws(RequestRejection) {
            let object = try parseObject(bytes)
            salvage.requestID = try? requestID(in: object)
            salvage.regulation = try? regulation(in: object)
            return .success(try validate(object))
        } catch {
            return .failure(RejectedRequest(rejection: error, salvage: salvage))
        }
    }

    /// A rejection, with what could be salvaged for the outcome.
    public struct RejectedRequest: Error, Sendable, Hashable {
        public var rejection: RequestRejection
        public var salvage: Salvage
    }

    private func parseObject(_ bytes: some Collection<UInt8>) throws(RequestRejection) -> [String: JSONValue] {
        guard bytes.count <= limits.maxMessageBytes else {
            throw RequestRejection(
                code: .messageTooLarge,
                field: nil,
                message: "message is \(bytes.count) bytes; the limit is \(limits.maxMessageBytes)"
            )
        }
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw RequestRejection(code: .invalidEncoding, field: nil, message: "message is not valid UTF-8")
        }
        let parse = { (buffer: UnsafeBufferPointer<UInt8>) in
            Result { () throws(JSONValue.SyntaxError) in try JSONValue.parse(buffer) }
        }
        let parsed = bytes.withContiguousStorageIfAvailable(parse) ?? Array(bytes).withUnsafeBufferPointer(parse)
        guard case .success(let value) = parsed else {
            throw RequestRejection(code: .invalidJSON, field: nil, message: "message is not valid JSON")
        }
        guard case .object(let object) = value else {
            throw RequestRejection(
                code: .invalidJSON,
                field: nil,
                message: "message must be a JSON object, not \(value.typeName)"
            )
        }
        return object
    }

    private func validate(_ object: [String: JSONValue]) throws(RequestRejection) -> ErasureRequest {
        let requestID = try requestID(in: object)
        let regulation = try regulation(in: object)
        let submittedAt = try timestamp(object["submitted_at"], field: "submitted_at", required: true)!
        let deadline = try timestamp(object["deadline"], field: "deadline", required: false)
        if let deadline, deadline < submittedAt {
            throw RequestRejection(code: .invalidField, field: "deadline", message: "must not be before submitted_at")
        }
        let subject = try subject(object["subject"])
        let vendors = try vendors(object["vendors"])
        return ErasureRequest(
            requestID: requestID,
            regulation: regulation,
            submittedAt: submittedAt,
            deadline: deadline,
            subject: subject,
            vendors: vendors
        )
    }

    private func requestID(in object: [String: JSONValue]) throws(RequestRejection) -> String {
        let value = try requiredString(object["request_id"], field: "request_id")
        guard (1...128).contains(value.count) else {
            throw RequestRejection(
                code: .invalidField,
                field: "request_id",
                message: "must be 1 to 128 characters long, not \(value.count)"
            )
        }
        try rejectControlCharacters(value, field: "request_id")
        return value
    }

    private func regulation(in object: [String: JSONValue]) throws(RequestRejection) -> Regulation {
        let value = try requiredString(object["regulation"], field: "regulation")
        guard let regulation = Regulation(rawValue: value) else {
            throw RequestRejection(code: .invalidField, field: "regulation", message: "must be \"gdpr\" or \"ccpa\"")
        }
        return regulation
    }

    private func timestamp(_ value: JSONValue?, field: String, required: Bool) throws(RequestRejection) -> Timestamp? {
        guard let value, value != .null else {
            if required { throw RequestRejection(code: .missingField, field: field, message: "is required") }
            return nil
        }
        guard case .string(let text) = value else {
            throw RequestRejection(
                code: .invalidField,
                field: field,
                message: "must be an RFC 3339 date-time string, not \(value.typeName)"
            )
        }
        guard let timestamp = Timestamp(rfc3339: text) else {
            throw RequestRejection(
                code: .invalidField,
                field: field,
                message: "must be an RFC 3339 date-time with its offset, as in YYYY-MM-DDThh:mm:ssZ"
            )
        }
        return timestamp
    }

    private func subject(_ value: JSONValue?) throws(RequestRejection) -> Subject {
        guard let value, value != .null else {
            throw RequestRejection(code: .missingField, field: "subject", message: "is required")
        }
        guard case .object(let fields) = value else {
            throw RequestRejection(
                code: .invalidField,
                field: "subject",
                message: "must be an object, not \(value.typeName)"
            )
        }
        var subject = Subject()
        subject.externalID = try identifier(fields["external_id"], field: "subject.external_id")
        subject.brazeID = try identifier(fields["braze_id"], field: "subject.braze_id")
        subject.moengageID = try identifier(fields["moengage_id"], field: "subject.moengage_id")
        subject.email = try identifier(fields["email"], field: "subject.email")
        if let email = subject.email, !Self.looksLikeEmail(email) {
            throw RequestRejection(code: .invalidField, field: "subject.email", message: "must be an email address")
        }
        subject.phone = try identifier(fields["phone"], field: "subject.phone")
        if let phone = subject.phone, !Self.isE164(phone) {
            throw RequestRejection(
                code: .invalidField,
                field: "subject.phone",
                message: "must be an E.164 phone number: '+' and 7 to 15 digits"
            )
        }
        subject.googleAdvertisingID = try identifier(
            fields["google_advertising_id"],
            field: "subject.google_advertising_id"
        )
        subject.advertisingIdentifier = try identifier(
            fields["advertising_identifier"],
            field: "subject.advertising_identifier"
        )
        subject.userAliases = try list(fields["user_aliases"], field: "subject.user_aliases") {
            entry,
            path throws(RequestRejection) in
            guard case .object(let alias) = entry else {
                throw RequestRejection(
                    code: .invalidField,
                    field: path,
                    message: "must be an object, not \(entry.typeName)"
                )
            }
            guard let name = try identifier(alias["alias_name"], field: "\(path).alias_name") else {
                throw RequestRejection(code: .missingField, field: "\(path).alias_name", message: "is required")
            }
            guard let label = try identifier(alias["alias_label"], field: "\(path).alias_label") else {
                throw RequestRejection(code: .missingField, field: "\(path).alias_label", message: "is required")
            }
            return UserAlias(aliasName: name, aliasLabel: label)
        }
        subject.engagelabRegistrationIDs = try list(
            fields["engagelab_registration_ids"],
            field: "subject.engagelab_registration_ids"
        ) { entry, path throws(RequestRejection) in
            guard let id = try identifier(entry, field: path) else {
                throw RequestRejection(code: .invalidField, field: path, message: "must be a string, not null")
            }
            // Registration ids are path segments at EngageLab; a character that could change the path has no place
            // in one, whatever the percent-encoding does.
            guard id.utf8.allSatisfy(Self.isRegistrationIDByte) else {
                throw RequestRejection(
                    code: .invalidField,
                    field: path,
                    message: "must contain only letters, digits, '-' and '_'"
                )
            }
            return id
        }
        subject.custom = try custom(fields["custom"])
        guard subject.identifierCount > 0 else {
            throw RequestRejection(code: .noIdentifier, field: "subject", message: "must hold at least one identifier")
        }
        return subject
    }

    private func vendors(_ value: JSONValue?) throws(RequestRejection) -> [VendorID]? {
        guard let value, value != .null else { return nil }
        guard case .array(let entries) = value else {
            throw RequestRejection(
                code: .invalidField,
                field: "vendors",
                message: "must be an array, not \(value.typeName)"
            )
        }
        var vendors: [VendorID] = []
        vendors.reserveCapacity(entries.count)
        for (index, entry) in entries.enumerated() {
            guard case .string(let name) = entry else {
                throw RequestRejection(
                    code: .invalidField,
                    field: "vendors[\(index)]",
                    message: "must be a string, not \(entry.typeName)"
                )
            }
            guard let vendor = VendorID(rawValue: name), knownVendors.contains(vendor) else {
                throw RequestRejection(
                    code: .unknownVendor,
                    field: "vendors[\(index)]",
                    message: "is not a known vendor; known vendors: "
                        + knownVendors.sorted().map(\.rawValue).joined(separator: ", ")
                )
            }
            if !vendors.contains(vendor) { vendors.append(vendor) }
        }
        guard !vendors.isEmpty else {
            throw RequestRejection(
                code: .invalidField,
                field: "vendors",
                message: "must name at least one vendor when present"
            )
        }
        return vendors
    }

    private func custom(_ value: JSONValue?) throws(RequestRejection) -> [String: String] {
        guard let value, value != .null else { return [:] }
        guard case .object(let entries) = value else {
            throw RequestRejection(
                code: .invalidField,
                field: "subject.custom",
                message: "must be an object, not \(value.typeName)"
            )
        }
        guard entries.count <= Subject.maxCustomIdentifiers else {
            throw RequestRejection(
                code: .invalidField,
                field: "subject.custom",
                message: "must hold at most \(Subject.maxCustomIdentifiers) identifiers, not \(entries.count)"
            )
        }
        var custom: [String: String] = [:]
        for name in entries.keys.sorted() {
            // A name is not personal data, but one that is not a valid name could be: it is never quoted.
            guard Subject.isCustomName(name) else {
                throw RequestRejection(
                    code: .invalidField,
                    field: "subject.custom",
                    message: "has a name that is not 1 to \(Subject.maxCustomNameLength) of a-z, 0-9 and '_'"
                )
            }
            let field = "subject.custom.\(name)"
            guard let value = try identifier(entries[name], field: field) else {
                throw RequestRejection(code: .invalidField, field: field, message: "must be a string, not null")
            }
            custom[name] = value
        }
        return custom
    }

    private func identifier(_ value: JSONValue?, field: String) throws(RequestRejection) -> String? {
        guard let value, value != .null else { return nil }
        guard case .string(let text) = value else {
            throw RequestRejection(
                code: .invalidField,
                field: field,
                message: "must be a string, not \(value.typeName)"
            )
        }
        guard !text.isEmpty, text.contains(where: { !$0.isWhitespace }) else {
            throw RequestRejection(code: .invalidField, field: field, message: "must not be empty")
        }
        guard text.count <= limits.maxIdentifierLength else {
            throw RequestRejection(
                code: .invalidField,
                field: field,
                message: "must be at most \(limits.maxIdentifierLength) characters, not \(text.count)"
            )
        }
        try rejectControlCharacters(text, field: field)
        return text
    }

    private func list<Element>(
        _ value: JSONValue?,
        field: String,
        element: (JSONValue, String) throws(RequestRejection) -> Element
    ) throws(RequestRejection) -> [Element] {
        guard let value, value != .null else { return [] }
        guard case .array(let entries) = value else {
            throw RequestRejection(
                code: .invalidField,
                field: field,
                message: "must be an array, not \(value.typeName)"
            )
        }
        guard entries.count <= limits.maxListEntries else {
            throw RequestRejection(
                code: .invalidField,
                field: field,
                message: "must hold at most \(limits.maxListEntries) entries, not \(entries.count)"
            )
        }
        var elements: [Element] = []
        for (index, entry) in entries.enumerated() {
            elements.append(try element(entry, "\(field)[\(index)]"))
        }
        return elements
    }

    private func requiredString(_ value: JSONValue?, field: String) throws(RequestRejection) -> String {
        guard let value, value != .null else {
            throw RequestRejection(code: .missingField, field: field, message: "is required")
        }
        guard case .string(let text) = value else {
            throw RequestRejection(
                code: .invalidField,
                field: field,
                message: "must be a string, not \(value.typeName)"
            )
        }
        return text
    }

    private func rejectControlCharacters(_ text: String, field: String) throws(RequestRejection) {
        // Format characters (bidirectional overrides, zero-width marks) are rejected with control characters: in an
        // identifier they only serve to make two different values look alike.
        let isControlOrFormat = { (scalar: Unicode.Scalar) -> Bool in
            // Printable ASCII is neither; asking Unicode's tables only for the rest keeps the common case cheap.
            if (0x20..<0x7F).contains(scalar.value) { return false }
            switch scalar.properties.generalCategory {
            case .control, .format: return true
            default: return false
            }
        }
        if text.unicodeScalars.contains(where: isControlOrFormat) {
            throw RequestRejection(
                code: .invalidField,
                field: field,
                message: "must not contain control or formatting characters"
            )
        }
    }

    /// The practical address syntax vendors accept: an unquoted local part of RFC 5322 `atext` and dots, and a domain
    /// of letters, digits and hyphens in two or more labels.
    private static func looksLikeEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].count <= 64 else { return false }
        let localOK =
            parts[0].utf8.allSatisfy { isASCIIAlphanumeric($0) || emailLocalSpecials.contains($0) }
            || parts[0].unicodeScalars.allSatisfy { $0.value > 0x7F || $0.properties.isAlphabetic }
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        let domainOK =
            labels.count >= 2
            && labels.allSatisfy { label in
                !label.isEmpty && label.first != "-" && label.last != "-"
                    && label.unicodeScalars.allSatisfy {
                        $0 == "-" || $0.properties.isAlphabetic || ("0"..."9").contains($0)
                    }
            }
        return localOK && domainOK
    }

    private static let emailLocalSpecials = Set("!#$%&'*+/=?^_`{|}~-.".utf8)

    private static func isASCIIAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isRegistrationIDByte(_ byte: UInt8) -> Bool {
        isASCIIAlphanumeric(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }

    private static func isE164(_ text: String) -> Bool {
        let utf8 = Array(text.utf8)
        guard utf8.first == UInt8(ascii: "+"), (8...16).contains(utf8.count), utf8[1] != UInt8(ascii: "0") else {
            return false
        }
        return utf8.dropFirst().allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}
