import Foundation
import NIOHTTP1

/// JSON text helpers that keep bodies byte-for-byte predictable (key order, escaping) for golden tests.
enum JSONText {
    /// `text` as a JSON string literal, quotes included.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    /// The items' JSON payloads as the elements of an array, wrapped in `opening` and `closing`.
    static func array(of items: [VendorItem], between opening: String, and closing: String) -> [UInt8] {
        var body = Array(opening.utf8)
        for (index, item) in items.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body += item.payload
        }
        return body + Array(closing.utf8)
    }

    static func object(_ body: [UInt8]) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }
}

enum HTTPAuthorization {
    static func basic(user: String, password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }
}

/// Percent-encoding for one path segment: everything but RFC 3986 unreserved characters is escaped, so that `/`,
/// `?`, `#`, `%` and `..` inside an identifier can never change which resource is addressed.
enum PathSegment {
    static func encode(_ bytes: [UInt8]) -> String {
        var result = ""
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "~"):
                result.unicodeScalars.append(UnicodeScalar(byte))
            default:
                // "." is escaped too: a segment of "." or ".." would otherwise be removed by URL normalisation.
                result += String(format: "%%%02X", byte)
            }
        }
        return result
    }
}

/// How long a vendor asked us to wait, from `Retry-After` (seconds or an HTTP date) or a reset time in epoch seconds.
enum RetryHints {
    static func retryAfter(_ headers: HTTPHeaders, now: Date = Date()) -> Double? {
        guard let value = headers.first(name: "retry-after")?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let seconds = Double(value), seconds.isFinite, seconds >= 0 { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: value).map { max(0, $0.timeIntervalSince(now)) }
    }

    static func resetAt(_ headers: HTTPHeaders, name: String, now: Date = Date()) -> Double? {
        guard let value = headers.first(name: name), let epoch = Double(value), epoch.isFinite else { return nil }
        return max(0, epoch - now.timeIntervalSince1970)
    }

    /// The common reading of transient statuses: 429 and 5xx are worth retrying, 429 and 503 with a wait.
    static func transient(_ response: VendorResponse, resetHeader: String? = nil) -> CallResult? {
        guard response.status == 429 || (500...599).contains(response.status) else { return nil }
        var wait = retryAfter(response.headers)
        if wait == nil, response.status == 429, let resetHeader {
            wait = resetAt(response.headers, name: resetHeader)
        }
        return .retriable(reason: "HTTP \(response.status)", retryAfter: wait)
    }
}

/// Text from a vendor's answer, made fit for outcomes and logs.
///
/// Vendors may echo what they were sent: an error message naming the e-mail address it could not read, or a path
/// holding a registration id. Since a call batches the identifiers of several requests, an unscrubbed reason could
/// even carry one user's identifiers into another user's outcome.
public enum VendorText {
    /// What stands where an identifier was.
    public static let placeholder = "[identifier]"
    /// The longest reason kept, in characters; vendors' error lists can run long.
    public static let maxLength = 300

    /// `text` with every identifier of `items` replaced, ignoring case, as sent and as percent-encoded for a path,
    /// then cut to ``maxLength``.
    public static func scrub(_ text: String, of items: [VendorItem]) -> String {
        let forms = Set(items.flatMap(\.values).flatMap { [$0, PathSegment.encode(Array($0.utf8))] })
        var scrubbed = text
        // Longest first, so that an identifier containing another is replaced whole.
        for form in forms.filter({ !$0.isEmpty }).sorted(by: { $0.count > $1.count }) {
            scrubbed = scrubbed.replacingOccurrences(of: form, with: placeholder, options: .caseInsensitive)
        }
        return scrubbed.count > maxLength ? String(scrubbed.prefix(maxLength)) + "…" : scrubbed
    }
}
