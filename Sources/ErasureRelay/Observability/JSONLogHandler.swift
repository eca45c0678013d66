import Foundation
import Logging
import Synchronization

/// Writes each log record as one JSON line: `time`, `level`, `label`, `message`, then the metadata keys.
public struct JSONLogHandler: LogHandler {
    /// Where lines go. The default writes to standard output.
    public typealias Sink = @Sendable (String) -> Void

    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let sink: Sink

    public init(label: String, level: Logger.Level = .info, sink: @escaping Sink = JSONLogHandler.standardOutput) {
        self.label = label
        self.logLevel = level
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        var line =
            "{\"time\":\"\(Timestamp.now().rfc3339)\",\"level\":\"\(event.level.rawValue)\","
            + "\"label\":\(JSONText.quoted(label)),\"message\":\(JSONText.quoted(event.message.description))"
        for key in merged.keys.sorted() {
            line += ",\(JSONText.quoted(key)):\(JSONText.quoted(merged[key]!.description))"
        }
        sink(line + "}")
    }

    /// Writes a line to standard output, whole, even when several threads log at once.
    public static let standardOutput: Sink = { line in
        outputLock.withLock { _ in
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
    }

    /// Writes a line to standard error, for commands whose standard output is their result.
    public static let standardError: Sink = { line in
        outputLock.withLock { _ in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    private static let outputLock = Mutex(())
}
