import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Logging
import NIOHTTP1
import Testing

/// A vendor's text reaches outcomes, dead letters and logs, and calls are batched: what it echoes of one user's
/// identifiers must never reach another user's outcome, whatever form the echo takes.
@Suite("Scrubbing vendor text")
struct VendorTextTests {
    @Test func scrubbingIdentifiersFoundInsideThePlaceholderTakesOnePassAndBoundedOutput() {
        // Aliases are free text, so "i", "d" or "[identifier]" itself are valid identifiers. Replacing form after
        // form over text already replaced doubled the text with each such form: with every piece of the placeholder
        // as an identifier, a short echo grew past any memory.
        let placeholder = Array(VendorText.placeholder)
        var pieces = Set<String>()
        for start in placeholder.indices {
            for end in start..<placeholder.count { pieces.insert(String(placeholder[start...end])) }
        }
        let items = pieces.sorted().map { VendorItem(kind: "user_aliases", payload: [], values: [$0]) }
        let echo = String(repeating: "identifier [identifier] ", count: 50)
        let scrubbed = VendorText.scrub(echo, of: items)
        #expect(scrubbed.count <= VendorText.maxLength + 1)
        #expect(scrubbed.hasPrefix("\(VendorText.placeholder) \(VendorText.placeholder) "))
        let long = VendorText.scrub(String(repeating: "i", count: 10_000_000), of: items)
        // Every scalar is inside an identifier: one placeholder, read up to the bound, and cut there.
        #expect(long == "\(VendorText.placeholder)…")
    }

    @Test func scrubbingReplacesEveryFormOfAnIdentifierIgnoringCase() {
        let email = "Jo.Doe+x@Example.com"
        let quote = #"say "hi""#
        let items = [
            VendorItem(kind: "email_addresses", payload: [], values: [email]),
            VendorItem(kind: "user_aliases", payload: [], values: [quote]),
        ]
        let text =
            "unknown jo.doe+x@example.com; path /v4/devices/Jo.Doe%2Bx%40Example.com; lower %2bx; body \"say \\\"hi\\\"\""
        let scrubbed = VendorText.scrub(text, of: items)
        #expect(!scrubbed.lowercased().contains("jo.doe"))
        #expect(!scrubbed.contains("hi"))
        #expect(scrubbed.contains("unknown [identifier];"))
    }

    @Test func identifiersThatStartWithACombiningMarkAreScrubbed() {
        // Found by the vendor-answer fuzzer: the JSON-escaped form was cut by Characters, and a leading combining
        // mark made it empty, which crashed the scrubber.
        let values = ["\u{05BA}", "\u{0301}x", "\u{200D}"]
        let items = values.map { VendorItem(kind: "user_aliases", payload: [], values: [$0]) }
        let scrubbed = VendorText.scrub("echo: \u{05BA} \u{0301}x", of: items)
        #expect(!scrubbed.unicodeScalars.contains("\u{05BA}"))
        #expect(!scrubbed.unicodeScalars.contains("\u{0301}"))
    }

    @Test func aReferenceIsKeptOnlyWhenShortPrintableAndFreeOfIdentifiers() {
        let items = [VendorItem(kind: "identities", payload: [], values: ["u-secret"])]
        let cases: [(String, String?)] = [
            ("req-123", "req-123"),
            (String(repeating: "a", count: 128), String(repeating: "a", count: 128)),
            (String(repeating: "a", count: 129), nil),
            (String(repeating: "a", count: 100_000), nil),
            ("req\n1", nil),
            ("réf", nil),
            ("", nil),
            ("for u-secret", "for [identifier]"),
        ]
        for (reference, expected) in cases {
            let result = CallResult.accepted(reference: reference, deleted: nil, note: nil).sanitized(for: items)
            guard case .accepted(let kept, _, let note) = result else {
                Issue.record("stays accepted")
                continue
            }
            #expect(kept == expected, "\(reference.prefix(20))")
            #expect((note != nil) == (expected == nil), "a dropped reference leaves a note")
        }
    }
}
