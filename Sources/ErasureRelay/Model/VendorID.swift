/// A vendor erasure-relay can call: a built-in one, or one declared in configuration (`kind: http`). The raw value
/// is the name used in configuration, requests, outcomes, progress headers and metrics.
public struct VendorID: RawRepresentable, Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// A vendor name: 1 to 32 of `a-z`, `0-9` and `_`. Nil for anything else.
    public init?(rawValue: String) {
        guard (1...Self.maxNameLength).contains(rawValue.utf8.count),
            rawValue.utf8.allSatisfy({ Self.isNameByte($0) })
        else { return nil }
        self.rawValue = rawValue
    }

    /// A built-in vendor's name, known to be valid.
    init(builtIn name: String) {
        self.rawValue = name
    }

    /// The vendors erasure-relay ships an adapter for, in the order they are listed everywhere.
    public static let builtIn: [VendorID] = BuiltInVendor.registry.map(\.id)

    /// Whether this is one of ``builtIn``.
    public var isBuiltIn: Bool { Self.builtIn.contains(self) }

    /// The longest vendor name.
    public static let maxNameLength = 32

    static func isNameByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "_")
    }

    public var description: String { rawValue }

    /// Built-in vendors first, in their own order, then the others by name.
    public static func < (lhs: VendorID, rhs: VendorID) -> Bool {
        switch (builtIn.firstIndex(of: lhs), builtIn.firstIndex(of: rhs)) {
        case (let left?, let right?): left < right
        case (_?, nil): true
        case (nil, _?): false
        case (nil, nil): lhs.rawValue < rhs.rawValue
        }
    }

    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let vendor = VendorID(rawValue: name) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not a vendor name")
            )
        }
        self = vendor
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
