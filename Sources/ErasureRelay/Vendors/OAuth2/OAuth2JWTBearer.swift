import Crypto
import CryptoExtras
import Foundation

/// How a declared vendor obtains its bearer token with a signed assertion: OAuth 2.0's JWT bearer grant (RFC 7523),
/// as Google's service accounts use it, `auth.oauth2_jwt_bearer` in a definition. The assertion is an RS256 JSON
/// Web Token signed with an RSA private key held as a secret, valid for as long as `assertion_lifetime` says.
public struct OAuth2JWTBearer: OAuth2Grant, Hashable {
    /// The token endpoint, an absolute URL: https, or http to this machine.
    public var tokenURL: String
    /// The assertion's `iss`: who signs it, such as a service account's e-mail address.
    public var issuer: String
    /// The name of the secret holding the RSA private key, in PEM.
    public var privateKey: String
    /// The assertion's `scope`, if the vendor wants one, as Google does.
    public var scope: String?
    /// The assertion's `aud`; by default the token URL.
    public var audience: String?
    /// The assertion's `sub`, for a service account acting for a user of its domain.
    public var subject: String?
    /// The JWT header's `kid`: which of the issuer's keys signed it.
    public var keyID: String?

    /// How long an assertion is valid: an hour, the most Google accepts.
    package static let assertionLifetimeSeconds: Int64 = 3600
    package static let grantType = "urn:ietf:params:oauth:grant-type:jwt-bearer"

    public init(
        tokenURL: String,
        issuer: String,
        privateKey: String,
        scope: String? = nil,
        audience: String? = nil,
        subject: String? = nil,
        keyID: String? = nil
    ) {
        self.tokenURL = tokenURL
        self.issuer = issuer
        self.privateKey = privateKey
        self.scope = scope
        self.audience = audience
        self.subject = subject
        self.keyID = keyID
    }

    public func tokenRequest(secrets: [String: Secret], now: Timestamp) throws(VendorTransportError) -> VendorCall {
        guard let pem = secrets[privateKey]?.value, let assertion = assertion(pem: pem, now: now) else {
            throw VendorTransportError.tokenAssertion
        }
        return formRequest([("grant_type", Self.grantType), ("assertion", assertion)])
    }

    /// The signed assertion: header, claims and RS256 signature, each base64url without padding.
    func assertion(pem: String, now: Timestamp) -> String? {
        guard let key = Self.signingKey(pem) else { return nil }
        var header: [(String, String)] = [("alg", "RS256"), ("typ", "JWT")]
        if let keyID { header.append(("kid", keyID)) }
        let issuedAt = now.millisecondsSinceEpoch / 1000
        var claims = [("iss", JSONText.quoted(issuer)), ("aud", JSONText.quoted(audience ?? tokenURL))]
        if let scope { claims.append(("scope", JSONText.quoted(scope))) }
        if let subject { claims.append(("sub", JSONText.quoted(subject))) }
        claims += [("iat", "\(issuedAt)"), ("exp", "\(issuedAt + Self.assertionLifetimeSeconds)")]
        let headerJSON =
            "{" + header.map { "\(JSONText.quoted($0.0)):\(JSONText.quoted($0.1))" }.joined(separator: ",") + "}"
        let claimsJSON = "{" + claims.map { "\(JSONText.quoted($0.0)):\($0.1)" }.joined(separator: ",") + "}"
        let signingInput = Self.base64URL(Array(headerJSON.utf8)) + "." + Self.base64URL(Array(claimsJSON.utf8))
        guard
            let signature = try? key.signature(
                for: SHA256.hash(data: Array(signingInput.utf8)),
                padding: .insecurePKCS1v1_5
            )
        else { return nil }
        return signingInput + "." + Self.base64URL(Array(signature.rawRepresentation))
    }

    /// An RSA private key of at least 2048 bits from its PEM, PKCS#8 or PKCS#1; nil for anything else.
    package static func signingKey(_ pem: String) -> _RSA.Signing.PrivateKey? {
        guard let key = try? _RSA.Signing.PrivateKey(pemRepresentation: pem), key.keySizeInBits >= 2048 else {
            return nil
        }
        return key
    }

    package static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
