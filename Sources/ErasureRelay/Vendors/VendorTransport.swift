import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// Sends vendor calls over HTTP.
public protocol VendorTransport: Sendable {
    /// Sends `call` to `baseURL`. Returns the answer, whatever its status, or throws for a call that got none.
    /// - Throws: ``VendorTransportError``, or `CancellationError` when the caller's task was cancelled.
    func send(_ call: VendorCall, baseURL: String, timeout: Duration) async throws -> VendorResponse
}
