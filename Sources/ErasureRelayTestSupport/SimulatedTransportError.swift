import ErasureRelay
import NIOHTTP1

/// A transport failure, as a timeout or reset would surface.
public struct SimulatedTransportError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
