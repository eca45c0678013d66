/// One lane's bearer token: fetched before the lane's first call, shared by all its calls, fetched again shortly
/// before it expires or once the vendor refuses it. Concurrent calls that find no valid token wait for one fetch.
/// The token is never logged, and a failed fetch is the vendor's failure, retried like any call that got no answer.
actor OAuth2TokenSource {
    typealias Instant = ContinuousClock.Instant

    private struct Token {
        let value: String
        let refreshAt: Instant
    }

    private enum State {
        case empty
        case valid(Token)
        case fetching(waiting: [CheckedContinuation<Result<Token, VendorTransportError>, Never>])
    }

    /// The lifetime a token without `expires_in` is given; RFC 6749 leaves it to the server's documentation.
    static let assumedLifetime = Duration.seconds(3600)
    /// The longest lifetime believed: a token is fetched again at least this often.
    static let longestLifetime = Duration.seconds(86_400)
    /// The longest token accepted; real ones are a few kilobytes at most.
    static let maxTokenBytes = 16_384

    private let grant: any OAuth2Grant
    private let secrets: [String: Secret]
    private let transport: any VendorTransport
    private let now: @Sendable () -> Instant
    private var state = State.empty
    /// Calls waiting for the token being fetched.
    var waitingForToken: Int {
        if case .fetching(let waiting) = state { waiting.count } else { 0 }
    }

    /// - Parameters:
    ///   - grant: where and how to ask for a token.
    ///   - secrets: the definition's secrets, holding the client id and secret.
    ///   - transport: how the token request is sent.
    ///   - now: the clock tokens expire by.
    init(
        grant: any OAuth2Grant,
        secrets: [String: Secret],
        transport: any VendorTransport,
        now: @escaping @Sendable () -> Instant = { .now }
    ) {
        self.grant = grant
        self.secrets = secrets
        self.transport = transport
        self.now = now
    }

    /// A token valid now: the one held, or a new one.
    /// - Parameter timeout: how long the token endpoint may take to answer.
    func token(timeout: Duration) async throws(VendorTransportError) -> String {
        switch state {
        case .valid(let token) where token.refreshAt > now():
            return token.value
        case .fetching(let waiting):
            let result = await withCheckedContinuation { continuation in
                state = .fetching(waiting: waiting + [continuation])
            }
            return try result.get().value
        case .valid, .empty:
            state = .fetching(waiting: [])
            let result = await fetch(timeout: timeout)
            guard case .fetching(let waiting) = state else { return try result.get().value }
            if case .success(let token) = result { state = .valid(token) } else { state = .empty }
            for continuation in waiting { continuation.resume(returning: result) }
            return try result.get().value
        }
    }

    /// The vendor refused `token`: the next call fetches another. A token fetched since is kept.
    func refused(_ token: String) {
        if case .valid(let held) = state, held.value == token { state = .empty }
    }

    private func fetch(timeout: Duration) async -> Result<Token, VendorTransportError> {
        let asked = now()
        let response: VendorResponse
        do {
            response = try await transport.send(
                grant.tokenRequest(secrets: secrets, now: .now()),
                baseURL: grant.endpoint.origin,
                timeout: timeout
            )
        } catch {
            return .failure(VendorTransportError(classifying: error))
        }
        return Self.token(in: response, askedAt: asked).map { Token(value: $0.value, refreshAt: $0.refreshAt) }
    }

    /// Reads a token endpoint's answer (RFC 6749 section 5): a bearer `access_token` of token characters only, so
    /// that nothing the endpoint sends can reach a header as anything but a token, and its lifetime.
    static func token(
        in response: VendorResponse,
        askedAt: Instant
    ) -> Result<(value: String, refreshAt: Instant), VendorTransportError> {
        let object = response.body.withUnsafeBufferPointer { try? JSONValue.parse($0, maxDepth: 16) }
        guard (200...299).contains(response.status) else {
            var code: String?
            if case .object(let members)? = object, case .string(let error)? = members["error"],
                Self.errorCodes.contains(error)
            {
                code = error
            }
            return .failure(.tokenEndpoint(status: response.status, error: code))
        }
        guard case .object(let members)? = object, case .string(let value)? = members["access_token"],
            isBearerToken(value)
        else { return .failure(.tokenUnreadable) }
        if let type = members["token_type"] {
            guard case .string(let type) = type, type.lowercased() == "bearer" else {
                return .failure(.tokenUnreadable)
            }
        }
        let longest = Double(longestLifetime.components.seconds)
        var lifetime = assumedLifetime
        switch members["expires_in"] {
        case .number(let seconds)?:
            lifetime = .seconds(min(max(seconds.isFinite ? seconds : 0, 0), longest))
        case .string(let text)?:
            if let seconds = Double(text), seconds.isFinite { lifetime = .seconds(min(max(seconds, 0), longest)) }
        default:
            break
        }
        // Fetched again before it expires, by a tenth of its life and at most a minute, so that a call in flight
        // does not carry a token that expires on the way.
        let margin = min(lifetime / 10, .seconds(60))
        return .success((value, askedAt.advanced(by: lifetime - margin)))
    }

    /// RFC 6750's `b64token`: letters, digits, `-._~+/`, then any `=` padding.
    static func isBearerToken(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= maxTokenBytes else { return false }
        let padding = bytes.reversed().prefix { $0 == UInt8(ascii: "=") }.count
        guard padding < bytes.count else { return false }
        return bytes.dropLast(padding).allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "/"):
                true
            default:
                false
            }
        }
    }

    /// RFC 6749 section 5.2's error codes: the only text of a token endpoint's refusal that is repeated.
    static let errorCodes: Set<String> = [
        "invalid_request", "invalid_client", "invalid_grant", "unauthorized_client", "unsupported_grant_type",
        "invalid_scope",
    ]
}
