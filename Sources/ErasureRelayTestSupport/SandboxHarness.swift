import AsyncHTTPClient
import ErasureRelay
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import VendorSandbox

/// Runs `body` while a vendor sandbox serves on loopback, and stops it afterwards.
public func withSandbox<Result: Sendable>(
    _ configuration: SandboxConfiguration = SandboxConfiguration(),
    logger: Logger = TestLogs.quietLogger(label: "sandbox"),
    _ body: (VendorSandbox) async throws -> Result
) async throws -> Result {
    let sandbox = VendorSandbox(configuration: configuration, logger: logger)
    let services = ServiceGroup(services: [sandbox], gracefulShutdownSignals: [], logger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await services.run() }
        _ = await sandbox.baseURLs()
        do {
            let result = try await body(sandbox)
            await services.triggerGracefulShutdown()
            return result
        } catch {
            await services.triggerGracefulShutdown()
            throw error
        }
    }
}

/// Raw HTTP calls to a sandbox, for checking what it accepts without going through an adapter.
public struct RawHTTP: Sendable {
    public let client: HTTPClient

    public init(client: HTTPClient = .shared) {
        self.client = client
    }

    public func call(
        _ method: HTTPMethod,
        _ url: String,
        headers: [(String, String)] = [],
        body: String? = nil
    ) async throws -> (status: Int, headers: HTTPHeaders, body: String) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await client.execute(request, timeout: .seconds(10))
        let collected = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), response.headers, String(buffer: collected))
    }
}

/// Runs `body` with an HTTP client set up as erasure-relay's vendor calls are, and shuts it down afterwards.
public func withVendorHTTPClient<Result: Sendable>(_ body: (HTTPClient) async throws -> Result) async throws -> Result {
    let client = HTTPVendorTransport.makeClient()
    do {
        let result = try await body(client)
        try await client.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        throw error
    }
}
