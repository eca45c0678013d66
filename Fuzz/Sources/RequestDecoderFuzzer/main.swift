import CLibFuzzer
import ErasureRelay

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
    case .failure(let rejected):
        precondition(!rejected.rejection.message.isEmpty, "rejection without a reason")
    }
    return 0
}
