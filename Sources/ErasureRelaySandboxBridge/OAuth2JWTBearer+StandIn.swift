import Crypto
import CryptoExtras
import ErasureRelay
import Foundation
import VendorSandbox

extension OAuth2JWTBearer {
    /// Answers `call` as the vendor's token endpoint would (RFC 7523), when it is addressed to the token URL's path:
    /// a form POST of the JWT bearer grant whose assertion is signed with RS256 by the key the definition holds, names
    /// the definition's issuer, audience, scope and subject, and is valid now for at most an hour.
    /// - Parameters:
    ///   - call: any call the stand-in received.
    ///   - secrets: the definition's secrets, holding the private key whose public half verifies the assertion.
    ///   - now: the time the assertion must be valid at.
    ///   - issue: makes a new token and returns it with its lifetime in seconds.
    /// - Returns: the token, or RFC 6749's error answer; nil for a call to any other path.
    public func standInAnswer(
        to call: SandboxCall,
        secrets: [String: Secret],
        now: Timestamp,
        issue: () -> (token: String, lifetimeSeconds: Int)
    ) -> SandboxAnswer? {
        let path = endpoint.pathAndQuery.split(separator: "?", maxSplits: 1).first.map(String.init) ?? "/"
        guard call.rawPath == path else { return nil }
        let refusal = { (status: Int, error: String) in SandboxAnswer.json(status, ["error": error]) }
        guard call.method == "POST", let fields = call.formBody,
            fields.count == 2
        else { return refusal(400, "invalid_request") }
        guard fields.contains(where: { $0 == ("grant_type", Self.grantType) }) else {
            return refusal(400, "unsupported_grant_type")
        }
        guard let assertion = fields.first(where: { $0.name == "assertion" })?.value,
            let claims = verifiedClaims(assertion, secrets: secrets)
        else { return refusal(400, "invalid_grant") }
        let seconds = now.millisecondsSinceEpoch / 1000
        guard case .string(issuer)? = claims["iss"], case .string(audience ?? tokenURL)? = claims["aud"],
            claims["scope"] == scope.map(JSONValue.string), claims["sub"] == subject.map(JSONValue.string),
            case .number(let issuedAt)? = claims["iat"], case .number(let expires)? = claims["exp"],
            issuedAt <= Double(seconds + 60), expires > Double(seconds),
            expires - issuedAt <= Double(Self.assertionLifetimeSeconds)
        else { return refusal(400, "invalid_grant") }
        let (token, lifetime) = issue()
        return SandboxAnswer.json(200, ["access_token": token, "token_type": "Bearer", "expires_in": lifetime])
    }

    /// The assertion's claims, if its header says RS256 and its signature verifies under the public half of the
    /// definition's private key.
    private func verifiedClaims(_ assertion: String, secrets: [String: Secret]) -> [String: JSONValue]? {
        let parts = assertion.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let pem = secrets[privateKey]?.value, let key = Self.signingKey(pem),
            let header = Self.decodedObject(parts[0]), header["alg"] == .string("RS256"),
            let signature = Data(base64URLEncoded: parts[2]).map({ Array($0) }),
            key.publicKey.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature),
                for: SHA256.hash(data: Array((parts[0] + "." + parts[1]).utf8)),
                padding: .insecurePKCS1v1_5
            )
        else { return nil }
        return Self.decodedObject(parts[1])
    }

    private static func decodedObject(_ text: String) -> [String: JSONValue]? {
        guard let bytes = Data(base64URLEncoded: text).map({ Array($0) }),
            case .object(let members)? = bytes.withUnsafeBufferPointer({ try? JSONValue.parse($0, maxDepth: 8) })
        else { return nil }
        return members
    }
}

extension Data {
    /// Base64url (RFC 4648 section 5), as JSON Web Tokens encode their parts, with or without padding.
    init?(base64URLEncoded text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        self.init(base64Encoded: base64)
    }
}
