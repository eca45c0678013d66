import Crypto
import CryptoExtras
import Foundation
import Synchronization
import VendorSandbox

extension DeclaredStandIn {
    /// Google Analytics' User Deletion API as Google's documentation states it, written apart from any definition of
    /// it: a service account obtains a token from `POST /token` with a JWT bearer assertion it signed with RS256
    /// (issuer its e-mail, audience `https://oauth2.googleapis.com/token`, the `analytics.user.deletion` scope, at
    /// most an hour); `POST /analytics/v3/userDeletion/userDeletionRequests:upsert` with that token and a
    /// `userDeletionRequest` for the property answers the request with its `deletionRequestTime`.
    /// - Parameters:
    ///   - name: the vendor's name in erasure-relay's configuration.
    ///   - serviceAccount: the service account's e-mail address.
    ///   - privateKeyPEM: the service account's key, whose public half verifies its assertions.
    ///   - propertyID: the GA4 property the account may delete from.
    ///   - quota: the calls the Cloud project allows.
    /// - Returns: nil when `privateKeyPEM` is not an RSA key.
    public static func googleAnalytics(
        name: String = "google_analytics",
        serviceAccount: String,
        privateKeyPEM: String,
        propertyID: String,
        quota: SandboxConfiguration.Quota = .init(requests: 500, windowSeconds: 86_400)
    ) -> DeclaredStandIn? {
        guard let publicKey = try? _RSA.Signing.PrivateKey(pemRepresentation: privateKeyPEM).publicKey else {
            return nil
        }
        let tokens = Mutex<(issued: Int, valid: Set<String>)>((0, []))
        return DeclaredStandIn(
            name: name,
            quota: quota,
            answer: { call in
                let token = call.headers["authorization"].flatMap {
                    $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil
                }
                guard let token, tokens.withLock({ $0.valid.contains(token) }) else {
                    return googleError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
                }
                guard call.method == "POST", call.rawPath == "/analytics/v3/userDeletion/userDeletionRequests:upsert",
                    call.headers["content-type"]?.split(separator: ";").first == "application/json",
                    let body = (try? JSONSerialization.jsonObject(with: Data(call.body))) as? [String: Any],
                    (body["kind"] as? String).map({ $0 == "analytics#userDeletionRequest" }) ?? true,
                    let id = body["id"] as? [String: Any], let userID = id["userId"] as? String, !userID.isEmpty,
                    ["CLIENT_ID", "USER_ID", "APP_INSTANCE_ID"].contains(id["type"] as? String ?? "")
                else { return googleError(400, "INVALID_ARGUMENT", "Invalid JSON payload received.") }
                guard body["propertyId"] as? String == propertyID, body["webPropertyId"] == nil,
                    body["firebaseProjectId"] == nil
                else { return googleError(403, "PERMISSION_DENIED", "User does not have sufficient permissions.") }
                var answered = body
                answered["kind"] = "analytics#userDeletionRequest"
                answered["deletionRequestTime"] = ISO8601DateFormatter().string(from: Date())
                var answer = SandboxAnswer.json(200, answered)
                answer.deletions = [(id["type"] as? String ?? "", [userID])]
                answer.batchSize = 1
                return answer
            },
            tooManyRequests: { retryAfter, _ in
                var answer = googleError(429, "RESOURCE_EXHAUSTED", "Quota exceeded.")
                answer.headers = [("Retry-After", "\(retryAfter)")]
                return answer
            },
            tokenEndpoint: { call in
                guard call.rawPath == "/token" else { return nil }
                let refusal = SandboxAnswer.json(400, ["error": "invalid_grant", "error_description": "Invalid JWT."])
                guard call.method == "POST", let form = call.formBody else {
                    return SandboxAnswer.json(400, ["error": "invalid_request"])
                }
                let fields = Dictionary(form, uniquingKeysWith: { _, last in last })
                guard fields["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer" else {
                    return SandboxAnswer.json(400, ["error": "unsupported_grant_type"])
                }
                guard let assertion = fields["assertion"],
                    let claims = verifiedGoogleClaims(assertion, publicKey: publicKey),
                    claims["iss"] as? String == serviceAccount,
                    claims["aud"] as? String == "https://oauth2.googleapis.com/token",
                    (claims["scope"] as? String)?.split(separator: " ")
                        .contains("https://www.googleapis.com/auth/analytics.user.deletion") == true,
                    let issuedAt = claims["iat"] as? Double, let expires = claims["exp"] as? Double,
                    expires - issuedAt <= 3600, expires > Date().timeIntervalSince1970
                else { return refusal }
                let token = tokens.withLock { tokens in
                    tokens.issued += 1
                    let token = "ya29.sandbox-\(tokens.issued)"
                    tokens.valid.insert(token)
                    return token
                }
                return SandboxAnswer.json(200, ["access_token": token, "expires_in": 3599, "token_type": "Bearer"])
            }
        )
    }

    /// An assertion's claims, if its header says RS256 and its signature verifies under `publicKey`.
    private static func verifiedGoogleClaims(_ assertion: String, publicKey: _RSA.Signing.PublicKey) -> [String: Any]? {
        let parts = assertion.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let decoded = { (part: String) in Data(base64URLEncoded: part) }
        guard parts.count == 3, let headerData = decoded(parts[0]), let claimsData = decoded(parts[1]),
            let signature = decoded(parts[2]),
            let header = (try? JSONSerialization.jsonObject(with: headerData)) as? [String: Any],
            header["alg"] as? String == "RS256",
            publicKey.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature),
                for: SHA256.hash(data: Array((parts[0] + "." + parts[1]).utf8)),
                padding: .insecurePKCS1v1_5
            )
        else { return nil }
        return (try? JSONSerialization.jsonObject(with: claimsData)) as? [String: Any]
    }

    private static func googleError(_ status: Int, _ state: String, _ message: String) -> SandboxAnswer {
        .json(status, ["error": ["code": status, "message": message, "status": state]])
    }
}
