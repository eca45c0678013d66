/// Sends a lane's calls with its OAuth 2.0 bearer token, fetched and refreshed by the lane's ``OAuth2TokenSource``.
///
/// A call the vendor answers 401 was refused for its token: the token is dropped and the call fails as one with no
/// answer, so that the lane retries it, through its rate limiter, with a new token. A vendor that refuses every
/// token thus ends as an outage, never as a completed erasure.
struct OAuth2Transport: VendorTransport {
    let base: any VendorTransport
    let tokens: OAuth2TokenSource

    func send(_ call: VendorCall, baseURL: String, timeout: Duration) async throws -> VendorResponse {
        let token = try await tokens.token(timeout: timeout)
        var call = call
        call.headers.removeAll { $0.0.lowercased() == "authorization" }
        call.headers.append(("Authorization", "Bearer \(token)"))
        let response = try await base.send(call, baseURL: baseURL, timeout: timeout)
        guard response.status != 401 else {
            await tokens.refused(token)
            throw VendorTransportError.tokenRefused
        }
        return response
    }
}
