import AsyncHTTPClient
import NIOCore
import NIOHTTP1

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
        let started = ContinuousClock.now
        do {
            let response = try await client.execute(request, deadline: .now() + .nanoseconds(timeout.nanoseconds))
            // The client's deadline ends at the answer's head; the body must arrive by the same deadline, or a vendor
            // that trickles its body a byte at a time would hold the call, and its lane's slot, without end.
            let body = try await Self.collect(response.body, until: started.advanced(by: timeout))
            return VendorResponse(status: Int(response.status.code), headers: response.headers, body: body)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw VendorTransportError(classifying: error)
        }
    }

    private static func collect(
        _ body: HTTPClientResponse.Body,
        until deadline: ContinuousClock.Instant
    ) async throws -> [UInt8] {
        try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
            group.addTask { Array(buffer: try await body.collect(upTo: maxResponseBytes)) }
            group.addTask {
                try await Task.sleep(until: deadline, clock: .continuous)
                return nil
            }
            defer { group.cancelAll() }
            guard let body = try await group.next() ?? nil else { throw VendorTransportError.timeout }
            return body
        }
    }
}
