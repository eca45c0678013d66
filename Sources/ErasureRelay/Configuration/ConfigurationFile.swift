import Foundation

/// Reads the files a configuration names: itself, and the secrets and properties it keeps in files.
///
/// Each is read up to a bound, so that a path mistyped as `/dev/zero` or a log file fails with the key's name instead
/// of filling memory.
enum ConfigurationFile {
    /// The largest configuration file read.
    static let maxConfigurationBytes = 4 << 20
    /// The largest file holding a secret or a property: a key, a password, a certificate bundle.
    static let maxSecretBytes = 1 << 20

    /// The text of the file at `path`.
    /// - Throws: ``ConfigurationError`` for `key` when the file cannot be read, is larger than `limit`, or is not
    ///   UTF-8.
    static func text(atPath path: String, limit: Int, key: String) throws(ConfigurationError) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ConfigurationError(key: key, message: "cannot read the file \(path)")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: limit + 1) ?? Data()
        } catch {
            throw ConfigurationError(key: key, message: "cannot read the file \(path)")
        }
        guard data.count <= limit else {
            throw ConfigurationError(key: key, message: "the file \(path) is larger than \(limit >> 10) KiB")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(key: key, message: "the file \(path) is not UTF-8 text")
        }
        return text
    }
}
