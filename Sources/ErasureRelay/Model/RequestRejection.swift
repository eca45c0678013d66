/// Why a message is not a valid erasure request; published in the `rejected` outcome and the dead-letter headers.
public struct RequestRejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// A machine-readable class of problem.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code as the outcome's `error.code` and the dead-letter header carry it.
        public let rawValue: String

        /// The message is larger than `pipeline.max_message_bytes`.
        public static let messageTooLarge = Code(rawValue: "message_too_large")
        /// The message is not UTF-8.
        public static let invalidEncoding = Code(rawValue: "invalid_encoding")
        /// The message is not a JSON object.
        public static let invalidJSON = Code(rawValue: "invalid_json")
        /// A required field is absent or null.
        public static let missingField = Code(rawValue: "missing_field")
        /// A field has the wrong type or an unacceptable value.
        public static let invalidField = Code(rawValue: "invalid_field")
        /// The subject holds no identifier.
        public static let noIdentifier = Code(rawValue: "no_identifier")
        /// `vendors` names a vendor erasure-relay does not know.
        public static let unknownVendor = Code(rawValue: "unknown_vendor")
        /// None of the vendors the request targets takes any of its identifiers: no erasure could be carried out.
        public static let noRoutableIdentifier = Code(rawValue: "no_routable_identifier")
        /// A retry-topic or replayed record's progress is unsigned, or its signature does not match.
        public static let invalidSignature = Code(rawValue: "invalid_signature")
        /// A retry-topic or replayed record carries an erasure-relay header that cannot be read.
        public static let invalidHeader = Code(rawValue: "invalid_header")

        public var description: String { rawValue }
    }

    /// The class of problem.
    public let code: Code
    /// The path of the offending field, such as `subject.user_aliases[1].alias_name`; nil for the whole message.
    public let field: String?
    /// What is wrong, in words. Never contains the offending value, which may be personal data.
    public let message: String

    public init(code: Code, field: String?, message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    public var description: String {
        field.map { "\(code) at \($0): \(message)" } ?? "\(code): \(message)"
    }
}
