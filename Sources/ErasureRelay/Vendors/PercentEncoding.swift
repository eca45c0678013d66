import DequeModule
import Foundation
import NIOHTTP1

/// Percent-encoding of UTF-8 bytes: the bytes a use keeps stay as they are, and every other byte becomes `%XX`.
package enum PercentEncoding {
    /// For one path segment: everything but RFC 3986 unreserved characters is escaped, so that `/`, `?`, `#`, `%`
    /// and `..` inside an identifier can never change which resource is addressed. "." is escaped too: a segment of
    /// "." or ".." would otherwise be removed by URL normalisation.
    /// - Parameter keepingDots: leaves "." unescaped, as a server may echo the path; never for a path sent.
    static func pathSegment(_ bytes: some Sequence<UInt8>, keepingDots: Bool = false) -> String {
        encode(bytes) { byte in
            isAlphanumeric(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~")
                || (keepingDots && byte == UInt8(ascii: "."))
        }
    }

    /// For a field name or value of an `application/x-www-form-urlencoded` body or query, as HTML forms encode it:
    /// a space becomes "+".
    package static func formField(_ text: String) -> String {
        encode(text.utf8, spaceAsPlus: true) { byte in
            isAlphanumeric(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "*")
        }
    }

    private static func encode(
        _ bytes: some Sequence<UInt8>,
        spaceAsPlus: Bool = false,
        keeping keeps: (UInt8) -> Bool
    ) -> String {
        var result = ""
        result.reserveCapacity(bytes.underestimatedCount)
        for byte in bytes {
            if keeps(byte) {
                result.unicodeScalars.append(UnicodeScalar(byte))
            } else if spaceAsPlus && byte == UInt8(ascii: " ") {
                result.unicodeScalars.append("+")
            } else {
                result.unicodeScalars.append("%")
                result.unicodeScalars.append(upperHexDigits[Int(byte >> 4)])
                result.unicodeScalars.append(upperHexDigits[Int(byte & 0xF)])
            }
        }
        return result
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static let upperHexDigits = Array("0123456789ABCDEF".unicodeScalars)
}
