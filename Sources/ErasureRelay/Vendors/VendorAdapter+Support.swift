import DequeModule
import Foundation
import NIOHTTP1

extension JSONText {
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

package enum HTTPAuthorization {
    package static func basic(user: String, password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }
}
