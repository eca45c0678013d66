import ErasureRelay
import ErasureRelaySandboxBridge
import Foundation
import Kafka
import Logging
import ServiceLifecycle
import Synchronization
import VendorSandbox

/// One message of the hostile-input corpus and the rejection it must get.
public struct HostileMessage: Sendable, CustomStringConvertible {
    public let name: String
    public let bytes: [UInt8]
    public let code: String
    /// The field the rejection names; nil when it is about the whole message.
    public let field: String?

    public var description: String { name }

    /// The corpus in `Tests/Corpus/hostile`, as `expectations.tsv` lists it.
    public static func corpus() throws -> [HostileMessage] {
        let folder = packageRoot().appendingPathComponent("Tests/Corpus/hostile")
        let manifest = try String(contentsOf: folder.appendingPathComponent("expectations.tsv"), encoding: .utf8)
        return try manifest.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            let bytes = try Data(contentsOf: folder.appendingPathComponent(columns[0]))
            return HostileMessage(
                name: columns[0],
                bytes: Array(bytes),
                code: columns[1],
                field: columns.count > 2 && !columns[2].isEmpty ? columns[2] : nil
            )
        }
    }
}
