import Crypto
import CryptoExtras
import ErasureRelayTestSupport
import Foundation
import NIOHTTP1
import Synchronization
import Testing

@testable import ErasureRelay

/// OAuth 2.0 client credentials: the token a lane fetches, keeps, refreshes and drops, on instants the tests choose.
@Suite("OAuth 2.0 client credentials")
struct OAuth2Tests {
    typealias Instant = ContinuousClock.Instant
    static let grant = OAuth2ClientCredentials(
        tokenURL: "https://login.vendor.example/oauth/token?tenant=t",
        clientID: "client_id",
        clientSecret: "client_secret",
        scope: "delete:users",
        parameters: ["audience": "https://api.vendor.example/"]
    )
    static let secrets = ["client_id": Secret("app 1"), "client_secret": Secret("s3cr&t")]

    static func tokenAnswer(_ token: String, expiresIn: Int = 100) -> VendorResponse {
        VendorResponse(
            status: 200,
            body: Array(#"{"access_token":"\#(token)","token_type":"Bearer","expires_in":\#(expiresIn)}"#.utf8)
        )
    }

    static func form(_ body: [UInt8]?) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in String(decoding: body ?? [], as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            fields[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return fields
    }

    @Test func theTokenRequestCarriesTheGrantWithTheClientAuthenticatedAsConfigured() {
        let formCall = Self.grant.tokenRequest(secrets: Self.secrets, now: .now())
        #expect(Self.grant.endpoint.origin == "https://login.vendor.example")
        #expect(formCall.pathAndQuery == "/oauth/token?tenant=t")
        #expect(
            Self.form(formCall.body) == [
                "grant_type": "client_credentials", "scope": "delete:users",
                "audience": "https://api.vendor.example/", "client_id": "app 1", "client_secret": "s3cr&t",
            ]
        )
        #expect(!formCall.headers.contains { $0.0 == "Authorization" })

        var basic = Self.grant
        basic.clientAuthentication = .basic
        let basicCall = basic.tokenRequest(secrets: Self.secrets, now: .now())
        #expect(Self.form(basicCall.body)["client_secret"] == nil)
        // RFC 6749 section 2.3.1: form-encoded, then joined: `app+1:s3cr%26t`.
        let expected = "Basic " + Data("app+1:s3cr%26t".utf8).base64EncodedString()
        #expect(basicCall.headers.contains { $0 == ("Authorization", expected) })
    }

    /// Nothing a token endpoint sends reaches a header unless it is a bearer token: no line breaks, no other token
    /// type, no endless lifetime; a refusal is repeated only by its RFC 6749 error code.
    @Test(
        "A token endpoint's answer is read strictly",
        arguments: [
            (200, #"{"access_token":"abc.DEF-_~+/=","token_type":"bearer","expires_in":60}"#, "abc.DEF-_~+/="),
            (200, #"{"access_token":"abc\r\nX-Injected: 1","token_type":"Bearer"}"#, "no usable bearer token"),
            (200, #"{"access_token":"a b"}"#, "no usable bearer token"),
            (200, #"{"access_token":"","token_type":"Bearer"}"#, "no usable bearer token"),
            (200, #"{"access_token":"abc","token_type":"mac"}"#, "no usable bearer token"),
            (200, #"{"token":"abc"}"#, "no usable bearer token"),
            (200, #"["abc"]"#, "no usable bearer token"),
            (200, "<html>", "no usable bearer token"),
            (
                401, #"{"error":"invalid_client","error_description":"secret s3cr&t is wrong"}"#,
                "HTTP 401 (invalid_client)"
            ),
            (400, #"{"error":"you sent s3cr&t"}"#, "HTTP 400"),
            (503, "", "HTTP 503"),
        ]
    )
    func aTokenEndpointsAnswerIsReadStrictly(status: Int, body: String, expected: String) {
        let result = OAuth2TokenSource.token(
            in: VendorResponse(status: status, body: Array(body.utf8)),
            askedAt: .now
        )
        switch result {
        case .success(let token):
            #expect(token.value == expected)
        case .failure(let error):
            #expect(error.description.contains(expected), "\(error)")
            #expect(!error.description.contains("s3cr"))
        }
    }

    @Test func aTokensLifetimeIsBoundedAndItIsRefreshedBeforeItEnds() throws {
        let now = ContinuousClock.now
        let refresh = { (expiresIn: String) in
            try OAuth2TokenSource.token(
                in: VendorResponse(status: 200, body: Array(#"{"access_token":"t","expires_in":\#(expiresIn)}"#.utf8)),
                askedAt: now
            ).get().refreshAt
        }
        #expect(try refresh("100") == now.advanced(by: .seconds(90)), "a tenth early")
        #expect(try refresh("3600") == now.advanced(by: .seconds(3540)), "at most a minute early")
        #expect(try refresh("\"120\"") == now.advanced(by: .seconds(108)), "a number sent as text")
        #expect(try refresh("1e300") == now.advanced(by: .seconds(86_340)), "no longer than a day")
        #expect(try refresh("-5") == now, "a past expiry is fetched again at once")
        #expect(try refresh("null") == now.advanced(by: .seconds(3540)), "without expires_in: an hour")
    }

    /// The clock the tests move, and a token endpoint that counts its calls.
    final class Endpoint: VendorTransport, Sendable {
        let clock = Mutex(ContinuousClock.now)
        let answers = Watched(0)
        /// Held until the test lets it answer, so that calls can gather behind one fetch.
        let gate = Watched(true)

        func send(_ call: VendorCall, baseURL: String, timeout: Duration) async throws -> VendorResponse {
            _ = try await gate.wait(timeout: .seconds(30)) { $0 }
            var number = 0
            answers.update {
                $0 += 1
                number = $0
            }
            return OAuth2Tests.tokenAnswer("token-\(number)", expiresIn: 100)
        }

        func source() -> OAuth2TokenSource {
            OAuth2TokenSource(grant: OAuth2Tests.grant, secrets: OAuth2Tests.secrets, transport: self) {
                self.clock.withLock { $0 }
            }
        }
    }

    @Test func callsThatFindNoTokenWaitForOneFetch() async throws {
        let endpoint = Endpoint()
        endpoint.gate.update { $0 = false }
        let source = endpoint.source()
        let tokens = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<10 { group.addTask { try await source.token(timeout: .seconds(5)) } }
            while await source.waitingForToken < 9 { await Task.yield() }
            endpoint.gate.update { $0 = true }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(tokens == Array(repeating: "token-1", count: 10))
        #expect(endpoint.answers.value == 1)
    }

    @Test func aTokenIsKeptUntilShortlyBeforeItExpiresAndDroppedWhenRefused() async throws {
        let endpoint = Endpoint()
        let source = endpoint.source()
        let start = endpoint.clock.withLock { $0 }
        #expect(try await source.token(timeout: .seconds(5)) == "token-1")
        endpoint.clock.withLock { $0 = start.advanced(by: .seconds(89)) }
        #expect(try await source.token(timeout: .seconds(5)) == "token-1")
        endpoint.clock.withLock { $0 = start.advanced(by: .seconds(90)) }
        #expect(try await source.token(timeout: .seconds(5)) == "token-2", "refreshed a tenth before it expires")
        await source.refused("token-1")
        #expect(try await source.token(timeout: .seconds(5)) == "token-2", "an older token's refusal keeps the new one")
        await source.refused("token-2")
        #expect(try await source.token(timeout: .seconds(5)) == "token-3")
        #expect(endpoint.answers.value == 3)
    }

    /// Every call carries the lane's token, never one written into the call; a 401 drops it, and the call fails as
    /// one with no answer, so that the lane retries it through its rate limiter with a new token.
    @Test func aRefusedTokenFailsTheCallAndIsReplaced() async throws {
        let api = RecordingTransport { call, index in
            if call.pathAndQuery.hasPrefix("/oauth/token") { return Self.tokenAnswer("token-\(index)") }
            return VendorResponse(status: index == 1 ? 401 : 204)
        }
        let transport = OAuth2Transport(
            base: api,
            tokens: OAuth2TokenSource(grant: Self.grant, secrets: Self.secrets, transport: api)
        )
        let call = VendorCall(
            method: .DELETE,
            pathAndQuery: "/users/u-1",
            headers: [("authorization", "Bearer written-by-a-template")],
            body: nil
        )
        await #expect(throws: VendorTransportError.tokenRefused) {
            try await transport.send(call, baseURL: "https://api.vendor.example", timeout: .seconds(5))
        }
        let answered = try await transport.send(call, baseURL: "https://api.vendor.example", timeout: .seconds(5))
        #expect(answered.status == 204)
        let sent = api.recordedCalls
        #expect(
            sent.map(\.pathAndQuery) == ["/oauth/token?tenant=t", "/users/u-1", "/oauth/token?tenant=t", "/users/u-1"]
        )
        #expect(sent[1].headers.filter { $0.0.lowercased() == "authorization" }.map(\.1) == ["Bearer token-0"])
        #expect(sent[3].headers.filter { $0.0.lowercased() == "authorization" }.map(\.1) == ["Bearer token-2"])
    }

    /// RFC 7523's assertion, as Google reads it: RS256 over header and claims, signed by the service account's key,
    /// naming the issuer, the token endpoint as audience, the scope, and an hour's validity from now.
    @Test func aJWTBearerAssertionIsSignedAndNamesWhatTheVendorChecks() throws {
        let grant = OAuth2JWTBearer(
            tokenURL: "https://oauth2.googleapis.com/token",
            issuer: "relay@project.iam.gserviceaccount.com",
            privateKey: "private_key",
            scope: "https://www.googleapis.com/auth/analytics.user.deletion",
            keyID: "k1"
        )
        let now = Timestamp(millisecondsSinceEpoch: 1_800_000_000_500)
        let call = try grant.tokenRequest(secrets: ["private_key": Secret(testPrivateKeyPEM)], now: now)
        let fields = Self.form(call.body)
        #expect(fields["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer")
        let parts = try #require(fields["assertion"]).split(separator: ".").map(String.init)
        #expect(parts.count == 3)
        let decode = { (part: String) throws -> [String: Any] in
            var base64 = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
            let data = try #require(Data(base64Encoded: base64))
            return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        }
        let header = try decode(parts[0])
        #expect(header["alg"] as? String == "RS256")
        #expect(header["kid"] as? String == "k1")
        let claims = try decode(parts[1])
        #expect(claims["iss"] as? String == "relay@project.iam.gserviceaccount.com")
        #expect(claims["aud"] as? String == "https://oauth2.googleapis.com/token")
        #expect(claims["scope"] as? String == "https://www.googleapis.com/auth/analytics.user.deletion")
        #expect(claims["iat"] as? Int == 1_800_000_000)
        #expect(claims["exp"] as? Int == 1_800_003_600)
        let key = try _RSA.Signing.PrivateKey(pemRepresentation: testPrivateKeyPEM)
        var signature = parts[2].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        signature += String(repeating: "=", count: (4 - signature.count % 4) % 4)
        let valid = key.publicKey.isValidSignature(
            _RSA.Signing.RSASignature(rawRepresentation: try #require(Data(base64Encoded: signature))),
            for: SHA256.hash(data: Array((parts[0] + "." + parts[1]).utf8)),
            padding: .insecurePKCS1v1_5
        )
        #expect(valid)
        #expect(throws: VendorTransportError.tokenAssertion) {
            try grant.tokenRequest(secrets: ["private_key": Secret("not a key")], now: now)
        }
    }
}
