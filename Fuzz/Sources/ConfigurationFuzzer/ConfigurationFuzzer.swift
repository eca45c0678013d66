import CLibFuzzer
import ErasureRelay

// libFuzzer entry point for configuration files. An operator's typo, a bad merge or a template gone wrong writes the
// file, and vendors declared in it shape every call the relay makes: reading any text must end in a configuration
// or in a ConfigurationError, never a crash or a hang. A configuration that is read must describe itself for
// check-config and build every vendor's calls for an awkward request, each call's target a path that the transport
// appends to the vendor's base URL: already percent-encoded printable ASCII, with no fragment.
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
