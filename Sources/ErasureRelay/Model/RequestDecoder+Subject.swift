import Foundation

extension RequestDecoder {
    func subject(_ value: JSONValue?) throws(RequestRejection) -> Subject {
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

    func custom(_ value: JSONValue?) throws(RequestRejection) -> [String: String] {
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

    func identifier(_ value: JSONValue?, field: String) throws(RequestRejection) -> String? {
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

    func list<Element>(
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

    /// The practical address syntax vendors accept: an unquoted local part of RFC 5322 `atext` and dots, and a domain
    /// of letters, digits and hyphens in two or more labels.
    static func looksLikeEmail(_ text: String) -> Bool {
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

    static func isASCIIAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    static func isRegistrationIDByte(_ byte: UInt8) -> Bool {
        isASCIIAlphanumeric(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }

    static func isE164(_ text: String) -> Bool {
        let utf8 = Array(text.utf8)
        guard utf8.first == UInt8(ascii: "+"), (8...16).contains(utf8.count), utf8[1] != UInt8(ascii: "0") else {
            return false
        }
        return utf8.dropFirst().allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}
