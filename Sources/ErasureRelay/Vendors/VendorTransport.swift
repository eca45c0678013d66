import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// Sends vendor calls over HTTP.
public protocol VendorTransport: Sendable {
    /// Sends `call` to `baseURL`. Returns the answer, whatever its status, or throws for a call that got none.
    func send(_ call: VendorCall, baseURL: String, timeout: Duration) async throws -> VendorResponse
}

/// Vendor calls over async-http-client: pooled, reused connections, a deadline per call, and a bounded answer size.
public struct HTTPVendorTransport: VendorTransport {
    /// The largest answer read; vendors' answers are a few hundred bytes.
    static let maxResponseBytes = 1 << 20

    private let client: HTTPClient

    public init(client: HTTPClient) {
        self.client = client
    }

    /// A client configured for vendor calls: connection reuse, no redirects (a redirect could carry credentials to
    /// another host), and a connect timeout.
    public static func makeClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(60))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 16)
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func send(_ call: VendorCall, baseURL: String, timeout: Duration) async throws -> VendorResponse {
        var request = HTTPClientRequest(url: baseURL + call.pathAndQuery)
        request.method = call.method
        for (name, value) in call.headers { request.headers.add(name: name, value: value) }
        if let body = call.body {
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let deadline = NIODeadline.now() + .nanoseconds(timeout.nanoseconds)
        // The client's deadline ends at the answer's head; the body must arrive by the same deadline, or a vendor
        // that trickles its body a byte at a time would hold the call, and its lane's slot, without end.
        return try await withThrowingTaskGroup(of: VendorResponse?.self) { group in
            group.addTask { [client, request] in
                let response = try await client.execute(request, deadline: deadline)
                let body = try await response.body.collect(upTo: Self.maxResponseBytes)
                return VendorResponse(
                    status: Int(response.status.code),
                    headers: response.headers,
                    body: Array(buffer: body)
                )
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let response = try await group.next() ?? nil else { throw HTTPClientError.deadlineExceeded }
            return response
        }
    }
}
