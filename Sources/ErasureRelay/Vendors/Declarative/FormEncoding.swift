import Crypto
import Foundation
import NIOHTTP1

/// An `application/x-www-form-urlencoded` body.
enum FormEncoding {
    /// A flat body template's members as form fields; members whose placeholders have no value are left out.
    static func body(_ template: JSONTemplate, values: [String: String]) -> String {
        guard case .object(let members) = template else { return "" }
        return members.compactMap { member in
            guard let name = member.name.render(values), case .text(let text) = member.value,
                let value = text.render(values)
            else { return nil }
            return "\(PercentEncoding.formField(name))=\(PercentEncoding.formField(value))"
        }.joined(separator: "&")
    }
}
