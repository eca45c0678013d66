import ErasureRelay
import NIOHTTP1
import Synchronization

/// A vendor transport for tests that records each call and answers from a script, without a network.
public final class RecordingTransport: VendorTransport, Sendable {
    /// How to answer a call: a response, or an error as if no answer came.
    public typealias Script = @Sendable (VendorCall, Int) throws -> VendorResponse

    private let calls = Mutex<[VendorCall]>([])
    private let script: Script

    /// - Parameter script: called with each call and its 0-based index.
    public init(script: @escaping Script) {
        self.script = script
    }

    /// Answers every call with `status` and `body`.
    public convenience init(status: Int, body: String) {
        self.init { _, _ in VendorResponse(status: status, body: Array(body.utf8)) }
    }

    public var recordedCalls: [VendorCall] { calls.withLock { $0 } }

    public func send(_ call: VendorCall, baseURL: String, timeout: Duration) async throws -> VendorResponse {
        let index = calls.withLock { calls in
            calls.append(call)
            return calls.count - 1
        }
        return try script(call, index)
    }
}

/// A transport failure, as a timeout or reset would surface.
public struct SimulatedTransportError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
