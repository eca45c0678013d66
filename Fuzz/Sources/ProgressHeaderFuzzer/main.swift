import CLibFuzzer
import ErasureRelay
import Kafka

// libFuzzer entry point for the progress a retry-topic record carries in its headers. Whoever can write to that
// topic chooses every byte of them: reading them must never crash, and what is read must be within the bounds the
// relay later relies on (counts it adds up, texts it copies into outcomes) and encode back to itself.
//
// The input is read as a list of headers: one byte picks the name, two bytes give the value's length.
private let names = [
    RequestProgress.Header.receivedAt, RequestProgress.Header.sourceTopic, RequestProgress.Header.sourcePartition,
    RequestProgress.Header.sourceOffset, RequestProgress.Header.parks, RequestProgress.Header.notBefore,
    RequestProgress.Header.pendingVendors, RequestProgress.Header.results, RecordSigner.header, "traceparent",
]

@_cdecl("ProgressHeaderFuzzer_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzProgressHeaders(data!, size) }
}

// libFuzzer\'s runtime also links against this name.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProgressHeaders(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var rest = UnsafeBufferPointer(start: data, count: size)[...]
    var headers: [KafkaHeader] = []
    while rest.count >= 3 {
        let name = names[Int(rest[rest.startIndex]) % names.count]
        let length = Int(rest[rest.startIndex + 1]) << 8 | Int(rest[rest.startIndex + 2])
        rest = rest.dropFirst(3)
        headers.append(KafkaHeader(name: name, value: Array(rest.prefix(length))))
        rest = rest.dropFirst(length)
    }
    guard let progress = try? RequestProgress(headers: headers) else { return 0 }
    for result in progress.results {
        precondition((0...RequestProgress.maxCount).contains(result.attempts), "attempts out of range")
        precondition((0...RequestProgress.maxCount).contains(result.identifiers), "identifiers out of range")
        precondition((result.error?.utf8.count ?? 0) <= RequestProgress.maxTextLength, "error text too long")
        precondition((result.reference?.utf8.count ?? 0) <= RequestProgress.maxTextLength, "reference too long")
    }
    // Adding a pass's results to what was carried must neither overflow nor produce what cannot be read back.
    let merged = progress.merging(progress.results)
    var next = progress
    next.results = merged
    precondition((try? RequestProgress(headers: next.headers)) == next, "merged progress does not read back")
    precondition((try? RequestProgress(headers: progress.headers)) == progress, "progress does not read back")
    return 0
}
