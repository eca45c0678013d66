import CLibFuzzer
import ErasureRelay
import Foundation

// libFuzzer entry point for the request decoder: every input must decode or be rejected with a field and a reason,
// never crash, hang or accept a request that breaks the decoder's own rules.
@_cdecl("RequestDecoderFuzzer_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzRequestDecoder(data!, size) }
}

// libFuzzer\'s runtime also links against this name.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    switch RequestDecoder().decode(bytes) {
    case .success(let request):
        precondition(!request.requestID.isEmpty && request.requestID.count <= 128, "request_id out of bounds")
        precondition(request.subject.identifierCount > 0, "accepted a subject without identifiers")
        precondition(request.deadline >= request.submittedAt, "deadline before submission")
        precondition(request.vendors.map { !$0.isEmpty } ?? true, "accepted an empty vendor list")
        checkIdentifiers(of: request.subject)
    case .failure(let rejected):
        precondition(!rejected.rejection.message.isEmpty, "rejection without a reason")
        checkNoEcho(of: rejected.rejection, in: Data(bytes))
    }
    return 0
}

// The rules each kind of identifier must meet, restated here from the request schema rather than taken from the
// decoder, so that an accepted identifier the decoder forgot to check is caught.
func checkIdentifiers(of subject: Subject) {
    let aliases = subject.userAliases.flatMap { [$0.aliasName, $0.aliasLabel] }
    let all =
        [
            subject.externalID, subject.brazeID, subject.moengageID, subject.email, subject.phone,
            subject.googleAdvertisingID, subject.advertisingIdentifier,
        ].compactMap { $0 }
        + aliases + subject.engagelabRegistrationIDs
    for identifier in all {
        precondition(identifier.contains { !$0.isWhitespace }, "accepted a blank identifier")
        precondition(identifier.count <= 512, "accepted an identifier over 512 characters")
        precondition(
            !identifier.unicodeScalars.contains { [.control, .format].contains($0.properties.generalCategory) },
            "accepted an identifier with control or formatting characters"
        )
    }
    if let email = subject.email {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        precondition(parts.count == 2 && !parts[0].isEmpty && parts[1].contains("."), "accepted a malformed email")
    }
    if let phone = subject.phone {
        let digits = phone.utf8.dropFirst()
        precondition(
            phone.hasPrefix("+") && (7...15).contains(digits.count) && digits.first != UInt8(ascii: "0")
                && digits.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) },
            "accepted a phone number that is not E.164"
        )
    }
    for id in subject.engagelabRegistrationIDs {
        precondition(
            id.unicodeScalars.allSatisfy {
                ($0.isASCII && $0.properties.isAlphabetic) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_"
            },
            "accepted a registration id that could change an EngageLab path"
        )
    }
}

// A rejection names the field and says what is wrong; it never quotes the value, which may be an identifier.
func checkNoEcho(of rejection: RequestRejection, in data: Data) {
    guard let field = rejection.field, let value = stringValue(at: field, in: data), value.count >= 12 else { return }
    // The list of known vendors is the one fixed text long enough to coincide with a value.
    let message = rejection.message.components(separatedBy: "known vendors:")[0]
    precondition(!message.contains(value), "the rejection of \(field) quotes its value")
}

// The string at a field path such as `subject.user_aliases[0].alias_name`, as Foundation reads the JSON.
func stringValue(at path: String, in data: Data) -> String? {
    guard var node = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { return nil }
    for component in path.split(separator: ".") {
        let name = component.prefix { $0 != "[" }
        guard let object = node as? [String: Any], let child = object[String(name)] else { return nil }
        node = child
        for index in component.dropFirst(name.count).split(separator: "[").compactMap({ Int($0.dropLast()) }) {
            guard let array = node as? [Any], array.indices.contains(index) else { return nil }
            node = array[index]
        }
    }
    return node as? String
}
