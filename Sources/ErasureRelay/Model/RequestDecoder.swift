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

    func requiredString(_ value: JSONValue?, field: String) throws(RequestRejection) -> String {
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

    func rejectControlCharacters(_ text: String, field: String) throws(RequestRejection) {
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
}
