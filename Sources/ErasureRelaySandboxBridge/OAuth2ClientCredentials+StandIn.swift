import ErasureRelay
import Foundation
import VendorSandbox

extension OAuth2ClientCredentials {
    /// Answers `call` as the vendor's token endpoint would (RFC 6749 sections 4.4 and 5), when it is addressed to
    /// the token URL's path: a form POST of the client credentials grant, with the client authenticated as
    /// `client_authentication` says, the scope and every parameter the definition names, and nothing else.
    /// - Parameters:
    ///   - call: any call the stand-in received.
    ///   - secrets: the definition's secrets, holding the client id and secret the endpoint accepts.
    ///   - issue: makes a new token and returns it with its lifetime in seconds.
    /// - Returns: the token, or RFC 6749's error answer; nil for a call to any other path.
    public func standInAnswer(
        to call: SandboxCall,
        secrets: [String: Secret],
        issue: () -> (token: String, lifetimeSeconds: Int)
    ) -> SandboxAnswer? {
        let path = endpoint.pathAndQuery.split(separator: "?", maxSplits: 1).first.map(String.init) ?? "/"
        guard call.rawPath == path else { return nil }
        let refusal = { (status: Int, error: String) in
            SandboxAnswer.json(status, ["error": error])
        }
        guard call.method == "POST", var fields = call.formBody
        else { return refusal(400, "invalid_request") }
        func take(_ name: String) -> String? {
            guard let index = fields.firstIndex(where: { $0.name == name }) else { return nil }
            return fields.remove(at: index).value
        }
        guard take("grant_type") == "client_credentials" else { return refusal(400, "unsupported_grant_type") }
        let id = secrets[clientID]?.value ?? ""
        let secret = secrets[clientSecret]?.value ?? ""
        switch clientAuthentication {
        case .form:
            guard call.headers["authorization"] == nil, take("client_id") == id, take("client_secret") == secret else {
                return refusal(401, "invalid_client")
            }
        case .basic:
            let expected = HTTPAuthorization.basic(
                user: PercentEncoding.formField(id),
                password: PercentEncoding.formField(secret)
            )
            guard call.headers["authorization"] == expected, take("client_secret") == nil else {
                return refusal(401, "invalid_client")
            }
        }
        if let scope, take("scope") != scope { return refusal(400, "invalid_scope") }
        for (name, value) in parameters where take(name) != value { return refusal(400, "invalid_request") }
        guard fields.isEmpty else { return refusal(400, "invalid_request") }
        let (token, lifetime) = issue()
        return SandboxAnswer.json(
            200,
            ["access_token": token, "token_type": "Bearer", "expires_in": lifetime]
        )
    }
}
