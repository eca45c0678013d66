import Foundation

/// The values a built call sends, read back from the call itself as the vendor will read it: each path segment and
/// query field, decoded; each header value but the credentials; each string and member name of a JSON body, each
/// field of a form body, or a body of any other kind whole.
///
/// A vendor's answer stands for the identifiers its call carried, so the lane asks this, for every call it is about
/// to send, whether each identifier the call will report as erased is really in it. It reads the call, not the
/// template or adapter that made it, so no template, mapping or future format feature can make a call that reports
/// an identifier it leaves out. A value is carried only where it stands whole: a longer value that merely contains
/// it (`dev-10` for `dev-1`) does not carry it.
public struct CallContents: Sendable {
    private var values: Set<String> = []

    /// Headers whose values are credentials, never a place for an identifier.
    private static let credentialHeaders: Set<String> = ["authorization", "proxy-authorization"]

    public init(_ call: VendorCall) {
        let target = call.pathAndQuery.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        for segment in target[0].split(separator: "/", omittingEmptySubsequences: true) {
            values.insert(Self.percentDecoded(segment, plusAsSpace: false))
        }
        if target.count == 2 { insertFormFields(target[1]) }
        for (name, value) in call.headers where !Self.credentialHeaders.contains(name.lowercased()) {
            values.insert(value)
        }
        guard let body = call.body, !body.isEmpty else { return }
        let contentType = call.headers.last { $0.0.lowercased() == "content-type" }?.1.lowercased() ?? ""
        if contentType.hasPrefix("application/x-www-form-urlencoded") {
            insertFormFields(Substring(decoding: body, as: UTF8.self))
        } else if let json = body.withUnsafeBufferPointer({ try? JSONValue.parse($0, maxDepth: 64) }) {
            insertStrings(of: json)
        } else {
            values.insert(String(decoding: body, as: UTF8.self))
        }
    }

    /// Whether the call sends `value` whole somewhere. An empty value is never carried.
    public func carries(_ value: String) -> Bool {
        !value.isEmpty && values.contains(value)
    }

    /// Whether the call sends every value `item` claims to carry.
    public func carries(_ item: VendorItem) -> Bool {
        !item.carried.isEmpty && item.carried.allSatisfy(carries)
    }

    private mutating func insertFormFields(_ text: Substring) {
        for field in text.split(separator: "&") {
            for part in field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false) {
                values.insert(Self.percentDecoded(part, plusAsSpace: true))
            }
        }
    }

    private mutating func insertStrings(of json: JSONValue) {
        switch json {
        case .string(let text):
            values.insert(text)
        case .object(let members):
            for (name, member) in members {
                values.insert(name)
                insertStrings(of: member)
            }
        case .array(let elements):
            for element in elements { insertStrings(of: element) }
        case .number, .bool, .null:
            break
        }
    }

    /// `text` with `%XX` decoded as UTF-8; text that does not decode is kept as it is, so that it matches nothing
    /// it does not spell.
    private static func percentDecoded(_ text: Substring, plusAsSpace: Bool) -> String {
        let spaced = plusAsSpace ? text.replacingOccurrences(of: "+", with: " ") : String(text)
        return spaced.removingPercentEncoding ?? spaced
    }
}
