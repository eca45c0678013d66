import ErasureRelay
import NIOHTTP1

/// A vendor transport for tests that records each call and answers from a script, without a network.
public final class RecordingTransport: VendorTransport, Sendable {
    /// How to answer a call: a response, or an error as if no answer came.
    public typealias Script = @Sendable (VendorCall, Int) throws -> VendorResponse

    private let calls = Watched<[VendorCall]>([])
    private let script: Script

    /// - Parameter script: called with each call and its 0-based index.
    public init(script: @escaping Script) {
        self.script = script
    }

    /// Answers every call with `status` and `body`.
    public convenience init(status: Int, body: String) {
        self.init { _, _ in VendorResponse(status: status, body: Array(body.utf8)) }
    }

    public var recordedCalls: [VendorCall] { calls.value }

    /// Waits until at least `count` calls were made.
    public func waitForCalls(_ count: Int, timeout: Duration = .seconds(30)) async throws {
        _ = try await calls.wait(timeout: timeout) { $0.count >= count }
    }

    public func send(_ call: VendorCall, baseURL: String, timeout: Duration) async throws -> VendorResponse {
        var index = 0
        calls.update { calls in
            calls.append(call)
            index = calls.count - 1
        }
        return try script(call, index)
    }
}
