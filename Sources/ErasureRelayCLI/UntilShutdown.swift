import ArgumentParser
import ErasureRelay
import Foundation
import Kafka
import ServiceLifecycle

/// Waits for a graceful-shutdown signal: what keeps a foreground helper alive.
struct UntilShutdown: Service {
    func run() async throws {
        try await gracefulShutdown()
    }
}
