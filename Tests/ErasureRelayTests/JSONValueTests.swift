import Foundation
import Testing

@testable import ErasureRelay

/// The request parser against Foundation's own JSON reader, as the reference for what is JSON.
@Suite("JSON parser")
struct JSONValueTests {
    static func parse(_ text: String) -> JSONValue? {
        Array(text.utf8).withUnsafeBufferPointer { try? JSONValue.parse($0) }
    }

    static func foundationAccepts(_ text: String) -> Bool {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) != nil
    }

    @Test(
        "Accepts what Foundation accepts and refuses what it refuses",
        arguments: [
            #"{}"#, #"[]"#, #" {"a" : [1, -0.5e-3, true, false, null, "x"]} "#, #""\u00e9\ud83d\ude00\n\t\"\\\/""#,
            #"{"a":1,}"#, #"[1,]"#, #"{"a" 1}"#, #"{a:1}"#, "{\"a\":\"line\nbreak\"}", #""\ud800""#, #""\udc00x""#,
            #""\ud800\u0041""#, #""\x""#, #""\u12G4""#, "01", "1.", ".5", "-", "+1", "1e", "tru", "nul", "[1 2]",
            "{} {}", "", "  ", "\"unterminated", "[[[", #"{"a":{"b":[{"c":null}]}}"#, "\u{FEFF}{}", "{,}", "[,]",
            #"{"a":1,,}"#, "[1,,]",
        ]
    )
    func agreesWithFoundation(_ text: String) {
        #expect((Self.parse(text) != nil) == Self.foundationAccepts(text), "\(text.debugDescription)")
    }

    @Test func readsEscapesAndSurrogatePairsAsTheCharactersTheyStandFor() {
        #expect(Self.parse(#""a\u00e9\ud83d\ude00\n\"\/""#) == .string("aé😀\n\"/"))
        #expect(
            Self.parse(#"{"k":[1,2.5,-3e2]}"#) == .object(["k": .array([.number(1), .number(2.5), .number(-300)])])
        )
    }

    @Test func aRepeatedKeyKeepsItsLastValue() {
        #expect(Self.parse(#"{"a":1,"a":2}"#) == .object(["a": .number(2)]))
    }

    @Test func nestingStopsAtTheLimitInsteadOfExhaustingTheStack() {
        let deepest = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(Self.parse(deepest) != nil)
        #expect(Self.parse("[" + deepest + "]") == nil)
        #expect(Self.parse(String(repeating: "[", count: 100_000)) == nil)
    }
}
