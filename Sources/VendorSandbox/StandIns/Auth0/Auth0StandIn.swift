import Foundation
import Synchronization

extension DeclaredStandIn {
    /// Auth0's Management API as its documentation states it, written apart from any definition of it: a
    /// machine-to-machine application obtains a token from `POST /oauth/token` with the client credentials grant,
    /// the client's id and secret and the Management API's `audience`, form-encoded or as JSON; `DELETE
    /// /api/v2/users/{id}` with that token answers 204, whether or not the user existed. A token lasts
    /// `tokenLifetimeSeconds`.
    /// - Parameters:
    ///   - name: the vendor's name in erasure-relay's configuration.
    ///   - clientID: the application's client id.
    ///   - clientSecret: the application's client secret.
    ///   - audience: the Management API's identifier, `https://{domain}/api/v2/`.
    ///   - quota: the calls the tenant allows.
    ///   - tokenLifetimeSeconds: how long an issued token is honoured.
    public static func auth0(
        name: String = "auth0",
        clientID: String,
        clientSecret: String,
        audience: String,
        quota: SandboxConfiguration.Quota = .init(requests: 2, windowSeconds: 1),
        tokenLifetimeSeconds: Int = 86_400
    ) -> DeclaredStandIn {
        let tokens = Mutex<(issued: Int, expiries: [String: ContinuousClock.Instant])>((0, [:]))
        return DeclaredStandIn(
            name: name,
            quota: quota,
            answer: { call in
                let token = call.headers["authorization"].flatMap { $0.hasPrefix("Bearer ") ? $0.dropFirst(7) : nil }
                guard let token, tokens.withLock({ $0.expiries[String(token)].map { $0 > .now } ?? false }) else {
                    return .json(401, ["statusCode": 401, "error": "Unauthorized", "message": "Invalid token"])
                }
                guard call.method == "DELETE", call.rawPath.hasPrefix("/api/v2/users/"),
                    let id = SandboxParsing.decodeSegment(call.rawPath.dropFirst("/api/v2/users/".count)),
                    id.contains("|"), call.body.isEmpty
                else {
                    return .json(
                        400,
                        ["statusCode": 400, "error": "Bad Request", "message": "Object didn't pass validation"]
                    )
                }
                return SandboxAnswer(status: 204, body: "", deletions: [("users", [id])])
            },
            tooManyRequests: { retryAfter, resetAt in
                var answer = SandboxAnswer.json(429, ["statusCode": 429, "error": "Too Many Requests"])
                answer.headers = [("X-RateLimit-Reset", "\(resetAt)"), ("Retry-After", "\(retryAfter)")]
                return answer
            },
            tokenEndpoint: { call in
                guard call.rawPath == "/oauth/token" else { return nil }
                guard call.method == "POST", let fields = auth0TokenFields(call) else {
                    return .json(400, ["error": "invalid_request", "error_description": "Malformed request"])
                }
                guard fields["grant_type"] == "client_credentials" else {
                    return .json(
                        403,
                        ["error": "unsupported_grant_type", "error_description": "Grant type not allowed"]
                    )
                }
                guard fields["client_id"] == clientID, fields["client_secret"] == clientSecret else {
                    return .json(401, ["error": "access_denied", "error_description": "Unauthorized"])
                }
                guard fields["audience"] == audience else {
                    return .json(403, ["error": "access_denied", "error_description": "Service not found"])
                }
                let token = tokens.withLock { tokens in
                    tokens.issued += 1
                    let token = "auth0.sandbox.\(tokens.issued)"
                    tokens.expiries[token] = ContinuousClock.now.advanced(by: .seconds(tokenLifetimeSeconds))
                    return token
                }
                return .json(
                    200,
                    [
                        "access_token": token, "token_type": "Bearer", "expires_in": tokenLifetimeSeconds,
                        "scope": "delete:users",
                    ]
                )
            }
        )
    }

    /// The token request's fields, sent as a form or as JSON, as Auth0 takes either.
    private static func auth0TokenFields(_ call: SandboxCall) -> [String: String]? {
        if SandboxParsing.isJSONContentType(call.headers["content-type"]) {
            return SandboxParsing.jsonObject(call.body)?.compactMapValues { $0 as? String }
        }
        return call.formBody.map { Dictionary($0, uniquingKeysWith: { _, last in last }) }
    }
}
