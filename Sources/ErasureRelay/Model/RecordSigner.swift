import Crypto
import Kafka

/// Signs and checks the progress erasure-relay writes next to a request on the retry topic and in a failed request's
/// dead-letter record.
///
/// Progress says which vendors already took the erasure; a record that claims "braze accepted" is enough for the
/// next pass to report `completed`. Whoever can write to the retry topic could otherwise forge that claim, so every
/// such record carries an HMAC-SHA256 over its value and every `erasure-relay-` header, and a record whose signature
/// is missing or wrong is never trusted.
///
/// Several keys can be configured: the first signs, any verifies, so that a key is rotated by putting the new one
/// first and dropping the old one once the records it signed have been read.
public struct RecordSigner: Sendable {
    /// The header holding the signature: `v1=` and the lower-case hex HMAC.
    public static let header = "erasure-relay-signature"
    private static let version = "v1="

    private let keys: [SymmetricKey]
    private let digestKey: SymmetricKey

    /// - Parameter keys: the signing key first, then any older keys still accepted; at least one.
    public init(keys: [Secret]) {
        precondition(!keys.isEmpty, "a record signer needs a key")
        self.keys = keys.map { SymmetricKey(data: Array($0.value.utf8)) }
        self.digestKey = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: self.keys[0],
            info: Array("erasure-relay request digest v1".utf8),
            outputByteCount: 32
        )
    }

    /// What tells two requests under one `request_id` apart in the outcomes: an HMAC-SHA256, under a key derived
    /// from the signing key, of the request's regulation, targeted vendors and every identifier.
    ///
    /// Keyed, because a plain hash of an e-mail address is reversed by hashing guesses; without the key nobody can
    /// test a guess against it. Redeliveries, parks and replays of one request give one digest; a request that
    /// reuses another's id for another subject gives another. `submitted_at` and `deadline` are left out: a request
    /// sent again with a new timestamp is still the same erasure.
    /// - Parameter request: the request as decoded.
    public func digest(of request: ErasureRequest) -> String {
        var fields: [[UInt8]] = [Array("request".utf8), Array(request.regulation.rawValue.utf8)]
        fields.append(Array((request.vendors.map { $0.map(\.rawValue).sorted().joined(separator: ",") } ?? "*").utf8))
        let subject = request.subject
        let named: [(String, String?)] = [
            ("external_id", subject.externalID), ("braze_id", subject.brazeID), ("moengage_id", subject.moengageID),
            ("email", subject.email), ("phone", subject.phone), ("google_advertising_id", subject.googleAdvertisingID),
            ("advertising_identifier", subject.advertisingIdentifier),
        ]
        for case (let name, let value?) in named { fields += [Array(name.utf8), Array(value.utf8)] }
        for alias in subject.userAliases.map({ [$0.aliasLabel, $0.aliasName] }).sorted(by: {
            $0.lexicographicallyPrecedes($1)
        }) {
            fields += [Array("user_alias".utf8), Array(alias[0].utf8), Array(alias[1].utf8)]
        }
        for id in subject.engagelabRegistrationIDs.sorted() { fields += [Array("engagelab".utf8), Array(id.utf8)] }
        for name in subject.custom.keys.sorted() {
            fields += [Array("custom".utf8), Array(name.utf8), Array(subject.custom[name]!.utf8)]
        }
        return digest(fields)
    }

    /// The digest of a message that is not a valid request, over its bytes: a redelivery of it gives the same
    /// digest, another message under the same id another.
    /// - Parameter value: the message's bytes.
    public func digest(ofMessage value: [UInt8]) -> String {
        digest([Array("message".utf8), value])
    }

    private func digest(_ fields: [[UInt8]]) -> String {
        var bytes: [UInt8] = []
        for field in fields {
            withUnsafeBytes(of: UInt64(field.count).bigEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: field)
        }
        return Self.lowerHex(HMAC<SHA256>.authenticationCode(for: bytes, using: digestKey))
    }

    /// `headers` with the signature of `value` and `headers` added, replacing any signature they carried.
    /// - Parameters:
    ///   - value: the record's value.
    ///   - headers: the record's headers; only those starting with `erasure-relay-` are signed.
    public func signing(value: [UInt8], headers: [KafkaHeader]) -> [KafkaHeader] {
        let unsigned = headers.filter { $0.name != Self.header }
        let code = HMAC<SHA256>.authenticationCode(
            for: Self.signedBytes(value: value, headers: unsigned),
            using: keys[0]
        )
        return unsigned + [KafkaHeader(name: Self.header, value: Self.version + Self.lowerHex(code))]
    }

    /// Whether `headers` carry exactly one signature, made by one of the keys over `value` and the other
    /// `erasure-relay-` headers.
    /// - Parameters:
    ///   - value: the record's value.
    ///   - headers: the record's headers, signature included.
    public func isValid(value: [UInt8], headers: [KafkaHeader]) -> Bool {
        let signatures = headers.filter { $0.name == Self.header }
        guard signatures.count == 1, let code = Self.bytes(fromHex: signatures[0].value) else { return false }
        let signed = Self.signedBytes(value: value, headers: headers.filter { $0.name != Self.header })
        return keys.contains { HMAC<SHA256>.isValidAuthenticationCode(code, authenticating: signed, using: $0) }
    }

    /// Why nothing of `message` may be trusted, when one of the keys did not sign it; nil when one did.
    /// - Parameters:
    ///   - message: a record of a topic only the relay writes: the retry topic, the jobs topic.
    ///   - what: what the record would have claimed, for the rejection's message.
    public func rejection(ofUnsigned message: KafkaMessage, claiming what: String) -> RequestRejection? {
        guard !isValid(value: message.value, headers: message.headers) else { return nil }
        return RequestRejection(
            code: .invalidSignature,
            field: Self.header,
            message: "is missing or does not match the record; \(what) not trusted"
        )
    }

    /// The value and the `erasure-relay-` headers, sorted, each length-prefixed so that no two records share the
    /// bytes: headers of other systems may be added or reordered on the way without breaking the signature.
    static func signedBytes(value: [UInt8], headers: [KafkaHeader]) -> [UInt8] {
        let own = headers.filter { $0.name.hasPrefix("erasure-relay-") }
            .sorted {
                $0.name == $1.name
                    ? $0.value.lexicographicallyPrecedes($1.value)
                    : $0.name.utf8.lexicographicallyPrecedes($1.name.utf8)
            }
        var bytes = Array("erasure-relay record v1".utf8)
        func append(_ part: [UInt8]) {
            withUnsafeBytes(of: UInt64(part.count).bigEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: part)
        }
        append(value)
        for header in own {
            append(Array(header.name.utf8))
            append(header.value)
        }
        return bytes
    }

    /// `bytes` as lower-case hex, as signatures and hashed identifiers are written.
    static func lowerHex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes { text += [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]] }
        return String(decoding: text, as: UTF8.self)
    }

    private static func bytes(fromHex value: [UInt8]) -> [UInt8]? {
        let prefix = Array(version.utf8)
        guard value.count == prefix.count + 64, value.starts(with: prefix) else { return nil }
        var bytes: [UInt8] = []
        var high: UInt8?
        for character in value.dropFirst(prefix.count) {
            let nibble: UInt8
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = character - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = character - UInt8(ascii: "a") + 10
            default: return nil
            }
            if let first = high {
                bytes.append(first << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return bytes
    }
}
