import CLibFuzzer
import ErasureRelay
import Foundation

// libFuzzer entry point for configuration files. An operator's typo, a bad merge or a template gone wrong writes the
// file, and vendors declared in it shape every call the relay makes: reading any text must end in a configuration
// or in a ConfigurationError, never a crash or a hang. A configuration that is read must describe itself for
// check-config and build every vendor's calls for an awkward request and for one with lists, aliases and custom
// identifiers, each call's target a path that the transport appends to the vendor's base URL: already
// percent-encoded printable ASCII, with no fragment.
//
// And for every definition the reader accepts, the proof an outcome rests on holds: each call carries every
// identifier it reports (read back by the lane's check, and found again by Foundation's own decoders), no identifier
// a declared vendor takes from the request is left out of every call, and no call carries a secret outside its
// auth (the call made with the secrets masked differs only there). A deletion job's status call carries its job's
// id, and no secret outside its auth either.
//
// The input is the file's text. Every `${VAR}` it names is set, so that secrets resolve.

@_cdecl("ConfigurationFuzzer_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzConfiguration(data!, size) }
}

/// Holds every identifier kind, custom ones included, most with characters a URL or a JSON body must escape.
private let awkwardRequest: ErasureRequest = {
    let json = #"""
        {"request_id":"fuzz-1","regulation":"gdpr","submitted_at":"2026-11-22T10:00:00Z",
         "subject":{"external_id":"u/../?a=1#x %2F\"é","braze_id":"b?#","moengage_id":"m/..",
           "email":"Mixed.Case+tag@Example.com","phone":"+15551234567",
           "user_aliases":[{"alias_name":"a/&=?","alias_label":"l\"{x}"}],
           "engagelab_registration_ids":["reg-1_A"],
           "google_advertising_id":"g@h","advertising_identifier":"{identifier}",
           "custom":{"loyalty_id":"c/?#&=","token":"${TOKEN}","id":"{secret}"}}}
        """#
    let decoder = RequestDecoder(limits: .init(maxMessageBytes: 65_536), knownVendors: VendorID.builtIn)
    guard case .success(let request) = decoder.decode(Array(json.utf8)) else {
        preconditionFailure("the fuzzer's own request is refused")
    }
    return request
}()

/// Several values of every list field, aliases with their labels, and custom identifiers.
private let listRequest: ErasureRequest = {
    let json = #"""
        {"request_id":"fuzz-2","regulation":"ccpa","submitted_at":"2026-11-22T10:00:00Z",
         "subject":{"external_id":"ext-1","email":"a@b.co",
           "user_aliases":[{"alias_name":"al-1","alias_label":"lab"},{"alias_name":"al-10","alias_label":"lab"}],
           "engagelab_registration_ids":["dev-1","dev-10","dev-1_old"],
           "custom":{"loyalty_id":"c-1","id":"c-10"}}}
        """#
    let decoder = RequestDecoder(limits: .init(maxMessageBytes: 65_536), knownVendors: VendorID.builtIn)
    guard case .success(let request) = decoder.decode(Array(json.utf8)) else {
        preconditionFailure("the fuzzer's own request is refused")
    }
    return request
}()

/// What a call sends, decoded by Foundation rather than by the relay's own readers: the path and query percent-decoded,
/// the header values, and a JSON body's strings or a form body's fields.
private func decodedText(of call: VendorCall) -> String {
    var parts = [
        call.pathAndQuery.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? call.pathAndQuery
    ]
    parts += call.headers.map(\.1)
    if let body = call.body {
        if let json = try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]) {
            func strings(_ value: Any) -> [String] {
                if let text = value as? String { return [text] }
                if let array = value as? [Any] { return array.flatMap(strings) }
                if let object = value as? [String: Any] { return object.flatMap { [$0.key] + strings($0.value) } }
                return []
            }
            parts += strings(json)
        } else {
            let form = String(decoding: body, as: UTF8.self).replacingOccurrences(of: "+", with: " ")
            parts += form.split(separator: "&").map { String($0).removingPercentEncoding ?? String($0) }
        }
    }
    return parts.joined(separator: "\n")
}

/// A call without what its auth puts in it: the credential header and, for a query key, the last query field.
private func withoutAuth(_ call: VendorCall, _ auth: HTTPVendorDefinition.Auth) -> VendorCall {
    var call = call
    var authHeader = "authorization"
    switch auth {
    case .header(let name, _, _): authHeader = name.lowercased()
    case .query:
        if let cut = call.pathAndQuery.lastIndex(where: { $0 == "&" || $0 == "?" }) {
            call.pathAndQuery = String(call.pathAndQuery[..<cut])
        }
    case .none, .bearer, .basic, .oauth2ClientCredentials, .oauth2JWTBearer: break
    }
    call.headers.removeAll { $0.0.lowercased() == authHeader || $0.0.lowercased() == "authorization" }
    return call
}

/// The proof an outcome rests on, for one vendor and one request.
private func checkProof(_ vendor: VendorID, _ settings: VendorSettings, _ request: ErasureRequest, now: Timestamp) {
    let adapter = settings.makeAdapter()
    let masked = settings.maskingSecrets().makeAdapter()
    let items = adapter.items(for: request)
    for batch in adapter.batches(of: items, now: now) {
        let call = adapter.call(for: batch, now: now)
        let contents = CallContents(call)
        let decoded = decodedText(of: call)
        for item in batch {
            precondition(contents.carries(item), "\(vendor): an accepted definition's call leaves out an identifier")
            for value in item.carried {
                precondition(decoded.contains(value), "\(vendor): the lane's check found a value Foundation does not")
            }
        }
        if let definition = settings.account as? HTTPVendorDefinition {
            let withSecrets = withoutAuth(call, definition.auth)
            let withMasks = withoutAuth(masked.call(for: batch, now: now), definition.auth)
            precondition(withSecrets == withMasks, "\(vendor): a secret reaches the call outside its auth")
        }
    }
    if let definition = settings.account as? HTTPVendorDefinition, definition.job != nil,
        let status = adapter.jobStatusItem(for: "job/1 ?#%")
    {
        let call = adapter.call(for: [status], now: now)
        precondition(CallContents(call).carries(status), "\(vendor): a status call leaves out its job's id")
        let withMasks = withoutAuth(masked.call(for: [status], now: now), definition.auth)
        precondition(withoutAuth(call, definition.auth) == withMasks, "\(vendor): a secret reaches a status call")
    }
    if let definition = settings.account as? HTTPVendorDefinition {
        let taken = definition.identifiers.reduce(0) { $0 + $1.field.values(in: request.subject).count }
        let carried = items.reduce(0) { $0 + $1.carried.count }
        precondition(carried == taken, "\(vendor): \(taken - carried) identifiers taken from the request are not sent")
    }
}

// libFuzzer's runtime also links against this name.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfiguration(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    var environment: [String: String] = [:]
    for match in text.matches(of: /\$\{([A-Za-z0-9_]{1,64})\}/) {
        environment[String(match.1)] = "fuzz-value-of-\(match.1)"
    }
    guard let configuration = try? RelayConfiguration(yaml: text, environment: environment) else { return 0 }
    _ = try? configuration.validateForService()
    _ = configuration.effectiveDescription
    let now = Timestamp.now()
    for (vendor, settings) in configuration.vendors {
        for request in [awkwardRequest, listRequest] { checkProof(vendor, settings, request, now: now) }
        for settings in [settings, settings.maskingSecrets()] {
            let adapter = settings.makeAdapter()
            for batch in adapter.batches(of: adapter.items(for: awkwardRequest), now: now) {
                let call = adapter.call(for: batch, now: now)
                precondition(call.pathAndQuery.hasPrefix("/"), "\(vendor): a call's target leaves the path")
                precondition(
                    call.pathAndQuery.utf8.allSatisfy { (0x21...0x7E).contains($0) && $0 != UInt8(ascii: "#") },
                    "\(vendor): a call's target is not percent-encoded: \(call.pathAndQuery)"
                )
            }
        }
    }
    return 0
}
