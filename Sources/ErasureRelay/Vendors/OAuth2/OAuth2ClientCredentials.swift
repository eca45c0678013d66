/// How a declared vendor obtains its bearer token: OAuth 2.0's client credentials grant (RFC 6749 section 4.4),
/// `auth.oauth2_client_credentials` in a definition.
public struct OAuth2ClientCredentials: OAuth2Grant, Hashable {
    /// How the client proves who it is to the token endpoint.
    public enum ClientAuthentication: String, Sendable, Hashable, CaseIterable {
        /// `client_id` and `client_secret` as form fields of the token request.
        case form
        /// HTTP Basic authentication of `client_id:client_secret` (RFC 6749 section 2.3.1).
        case basic
    }

    /// The token endpoint, an absolute URL: https, or http to this machine.
    public var tokenURL: String
    /// The name of the secret holding the client id.
    public var clientID: String
    /// The name of the secret holding the client secret.
    public var clientSecret: String
    /// The scope asked for, if the vendor wants one.
    public var scope: String?
    public var clientAuthentication: ClientAuthentication
    /// Further form fields of the token request, such as Auth0's `audience`, in name order.
    public var parameters: [String: String]

    public init(
        tokenURL: String,
        clientID: String,
        clientSecret: String,
        scope: String? = nil,
        clientAuthentication: ClientAuthentication = .form,
        parameters: [String: String] = [:]
    ) {
        self.tokenURL = tokenURL
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.scope = scope
        self.clientAuthentication = clientAuthentication
        self.parameters = parameters
    }

    public func tokenRequest(secrets: [String: Secret], now: Timestamp) -> VendorCall {
        let id = secrets[clientID]?.value ?? ""
        let secret = secrets[clientSecret]?.value ?? ""
        var fields = [("grant_type", "client_credentials")]
        if let scope { fields.append(("scope", scope)) }
        fields += parameters.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        switch clientAuthentication {
        case .form:
            return formRequest(fields + [("client_id", id), ("client_secret", secret)])
        case .basic:
            // RFC 6749 section 2.3.1: each part form-encoded before it is joined.
            let basic = HTTPAuthorization.basic(
                user: PercentEncoding.formField(id),
                password: PercentEncoding.formField(secret)
            )
            return formRequest(fields, headers: [("Authorization", basic)])
        }
    }
}
