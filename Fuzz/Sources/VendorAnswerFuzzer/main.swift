import CLibFuzzer
import ErasureRelay
import NIOHTTP1

// libFuzzer entry point for the classification of vendor answers. A vendor, or whatever answers in its place,
// chooses the status, the wait headers and the body: every adapter must classify any answer without crashing, and
// what the lane keeps of it (sanitised) must be bounded: a short reason, a printable reference, a wait of at most a
// week. Read as a deletion job's status, only a success can say done, and a failure's reason holds only the
// definition's own words.
//
// The input: two bytes of status, one byte of Retry-After length, the Retry-After value, then the body. The call's
// identifiers are cut from the body itself, so that echoes of them are common.
private let adapters: [any VendorAdapter] =
    [
        VendorSettings(
            vendor: .braze,
            baseURL: "https://x",
            account: .braze(apiKey: Secret("k"), emailPrioritization: [])
        ),
        VendorSettings(
            vendor: .moengage,
            baseURL: "https://x",
            account: .moengage(workspaceID: "w", apiKey: Secret("k"))
        ),
        VendorSettings(
            vendor: .moengageGDPR,
            baseURL: "https://x",
            account: .moengageGDPR(appID: "a", apiKey: Secret("k"), maxPayloadBytes: 100_000)
        ),
        VendorSettings(
            vendor: .engagelab,
            baseURL: "https://x",
            account: .engagelab(appKey: "a", masterSecret: Secret("m"))
        ),
    ].map { $0.makeAdapter() } + [declaredVendor]

/// A declared vendor whose rules read every part of an answer: nested JSON paths, text, headers and body shape.
private let declaredVendor: any VendorAdapter = {
    let yaml = """
        vendors:
          declared:
            kind: http
            base_url: https://x.example
            secrets: { token: "${TOKEN}" }
            request: { method: POST, url: /forget, per: batch, auth: { bearer: token },
                       body: { ids: "{items}" }, item: "{identifier}" }
            identifiers: { external_id: id }
            batch: { max_size: 50 }
            rate_limit: { requests: 10, window_seconds: 1 }
            answers:
              reference: "data.jobs[0].id"
              deleted: "data.count"
              rules:
                - { status: 200-299, json_path: "data.state", equals: done, result: accepted }
                - { status: 404, body: json, json_path: "error.code", result: not_found }
                - { status: 400, json_path: "error.type", equals: "Not Found", result: not_found }
                - { status: 429, result: rate_limited, wait_header: X-Reset, wait_format: epoch_seconds }
                - { has_header: X-Wait, result: rate_limited, wait_header: X-Wait }
                - { body_contains: "try later", result: retriable }
                - { status: 400-499, result: permanent, split_batch: false }
            job:
              status: { method: GET, url: "/jobs/{job_id}" }
              state: "data.jobs[0].state"
              running: [queued, running]
              done: [done]
              failed: [failed, cancelled]
        """
    // The definition is fixed: it loads, or the fuzzer has nothing to run.
    let configuration = try! RelayConfiguration(yaml: yaml, environment: ["TOKEN": "t"])
    return configuration.vendors.values.first!.makeAdapter()
}()

@_cdecl("VendorAnswerFuzzer_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzVendorAnswers(data!, size) }
}

// libFuzzer\'s runtime also links against this name.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVendorAnswers(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    checkScrubbingLeavesNoPiece(input)
    guard input.count >= 3 else { return 0 }
    let status = 100 + (Int(input[0]) << 8 | Int(input[1])) % 500
    let waitLength = min(Int(input[2]), input.count - 3)
    let wait = String(decoding: input[3..<3 + waitLength], as: UTF8.self)
    let body = Array(input[(3 + waitLength)...])
    let text = String(decoding: body, as: UTF8.self)
    let identifiers = Set(text.split(whereSeparator: { " \"/:,".contains($0) }).prefix(8).map(String.init))
    let items = identifiers.map { VendorItem(kind: "external_ids", payload: [], values: [$0]) }
    let headers = HTTPHeaders([("Retry-After", wait), ("X-RateLimit-Reset", wait), ("X-Reset", wait), ("X-Wait", wait)])
    for adapter in adapters {
        let result = adapter.classify(VendorResponse(status: status, headers: headers, body: body)).sanitized(
            for: items
        )
        switch result {
        case .accepted(let reference, let deleted, let note):
            if let reference {
                precondition(reference.utf8.count <= VendorText.maxReferenceLength, "reference too long")
                precondition(reference.utf8.allSatisfy { (0x20...0x7E).contains($0) }, "reference not printable")
            }
            precondition(deleted.map { $0 >= 0 } ?? true, "negative deleted count")
            precondition((note?.count ?? 0) <= 2 * VendorText.maxLength + 100, "note unbounded")
        case .rejected(let reason, _):
            precondition(reason.count <= VendorText.maxLength + 1, "reason unbounded")
        case .retriable(let reason, let retryAfter):
            precondition(reason.count <= VendorText.maxLength + 1, "reason unbounded")
            precondition(retryAfter.map { (0...604_800).contains($0) } ?? true, "wait out of range")
        }
    }
    checkJobStatus(VendorResponse(status: status, headers: headers, body: body))
    return 0
}

private let jobStatusItem = declaredVendor.jobStatusItem(for: "job-1")!
private let failedReasons: Set<String> = ["the vendor reports the job failed", "the vendor reports the job cancelled"]

private func checkJobStatus(_ response: VendorResponse) {
    switch declaredVendor.jobChecked(response, for: jobStatusItem) {
    case .state(.done)?, .state(.running)?:
        precondition((200...299).contains(response.status), "a state read from an answer that is no success")
    case .state(.failed(let reason))?:
        precondition((200...299).contains(response.status), "a state read from an answer that is no success")
        precondition(failedReasons.contains(reason), "a failure's reason holds more than the definition's words")
    case .answered(.accepted)?:
        preconditionFailure("a status answer taken for an erasure")
    case .answered?:
        break
    case nil:
        preconditionFailure("a status call's answer not read as one")
    }
}

/// An identifier of letters echoed among digits and punctuation, in either case, often enough that the text runs far
/// past any cut: scrubbed, nothing of it may be left, wherever an echo starts or ends. The only letters left are the
/// placeholders'.
private func checkScrubbingLeavesNoPiece(_ input: [UInt8]) {
    // One input in four: a text of thousands of scalars per input would leave the answers little of the run.
    guard input.count >= 2, input[0] & 0x3 == 0 else { return }
    let length = 1 + Int(input[0] >> 2) * 600 / 64
    let identifier = String((0..<length).map { Character(UnicodeScalar(97 + UInt8((Int(input[1]) + $0 * 7) % 26))) })
    let filler = Array(" 0123456789:;,-\"%[]")
    var text = ""
    var round = 0
    while text.unicodeScalars.count < 6_000 {
        for byte in input.dropFirst(2) {
            text.append(filler[Int(byte) % filler.count])
            if (Int(byte) + round) % 3 == 0 { text += (byte & 1 == 0 ? identifier : identifier.uppercased()) }
        }
        text += identifier
        round += 1
    }
    let items = [VendorItem(kind: "external_ids", payload: [], values: [identifier])]
    var scrubbed = VendorText.scrub(text, of: items)
    // A text cut at its length limit may end inside a placeholder.
    if scrubbed.hasSuffix("…"), let open = scrubbed.lastIndex(of: "["),
        VendorText.placeholder.hasPrefix(scrubbed[open...].dropLast())
    {
        scrubbed = String(scrubbed[..<open])
    }
    scrubbed = scrubbed.replacingOccurrences(of: VendorText.placeholder, with: "")
    precondition(!scrubbed.unicodeScalars.contains { $0.properties.isAlphabetic }, "a piece of an identifier is left")
}
