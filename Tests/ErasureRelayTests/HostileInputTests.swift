import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Testing

@Suite("Hostile input corpus")
struct HostileInputTests {
    @Test func everyFileOfTheCorpusHasExactlyOneExpectation() throws {
        let corpus = try HostileMessage.corpus()
        let folder = packageRoot().appendingPathComponent("Tests/Corpus/hostile")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0 != "expectations.tsv" }
        #expect(corpus.count == 58)
        #expect(Set(corpus.map(\.name)).count == corpus.count, "a file with two expectations")
        #expect(
            Set(files) == Set(corpus.map(\.name)),
            "a file without an expectation, or an expectation without a file"
        )
    }

    @Test("Each hostile message is rejected with a precise error", arguments: try HostileMessage.corpus())
    func rejectsWithAPreciseError(message: HostileMessage) {
        guard case .failure(let rejected) = RequestDecoder().decode(message.bytes) else {
            Issue.record("\(message.name) was accepted")
            return
        }
        #expect(rejected.rejection.code.rawValue == message.code, "\(message.name): \(rejected.rejection)")
        #expect(rejected.rejection.field == message.field, "\(message.name): \(rejected.rejection)")
        #expect(!rejected.rejection.message.isEmpty)
    }

    @Test func validAddressesAndIDsStillPass() throws {
        let valid = """
            {"request_id":"ok","regulation":"gdpr","submitted_at":"2026-11-22T10:00:00Z",
             "subject":{"email":"first.o'neil+tag@mail.example.co.uk","engagelab_registration_ids":["1a0018970aa9a3e52a1","reg_2-b"],
                        "external_id":"x\\",\\"braze_ids\\":[\\"all\\"]"}}
            """
        let request = try RequestDecoder().decode(Array(valid.utf8)).get()
        #expect(request.subject.engagelabRegistrationIDs.count == 2)
    }
}
