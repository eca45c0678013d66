import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Thrown to make Hummingbird drop the connection without an answer.
struct SandboxConnectionReset: Error {}
