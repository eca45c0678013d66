import ErasureRelay
import Testing

@Suite("Request decoding and validation")
struct RequestDecoderTests {
    let decoder = RequestDecoder()

    private func decode(_ json: String) -> Result<ErasureRequest, RequestDecoder.RejectedRequest> {
        decoder.decode(Array(json.utf8))
    }

    private func rejectionOf(_ json: String) -> RequestRejection? {
        if case .failure(let rejected) = decode(json) { return rejected.rejection }
        return nil
    }

    @Test func decodesAFullRequest() throws {
        let request = try decode(
            """
            {"request_id":"r-1","regulation":"ccpa","submitted_at":"2026-11-22T10:00:00Z",
             "deadline":"2026-12-01T00:00:00+01:00",
             "subject":{"external_id":"u-1","braze_id":"b-1","moengage_id":"m-1","email":"a@example.com",
                        "phone":"+15551234567","user_aliases":[{"alias_name":"n","alias_label":"l"}],
                        "engagelab_registration_ids":["reg-1","reg-2"],"google_advertising_id":"g",
                        "advertising_identifier":"i"},
             "vendors":["braze","engagelab","braze"],"unknown_field":{"ignored":true}}
            """
        ).get()
        #expect(request.requestID == "r-1")
        #expect(request.regulation == .ccpa)
        #expect(request.deadline.rfc3339 == "2026-11-30T23:00:00.000Z")
        #expect(request.subject.identifierCount == 10)
        #expect(request.subject.userAliases == [UserAlias(aliasName: "n", aliasLabel: "l")])
        #expect(request.vendors == [.braze, .engagelab])
    }

    @Test(
        "The deadline defaults to 30 days for GDPR and 45 for CCPA",
        arguments: [
            ("gdpr", "2026-12-22T10:00:00.000Z"), ("ccpa", "2027-01-06T10:00:00.000Z"),
        ]
    )
    func defaultDeadline(regulation: String, expected: String) throws {
        let request = try decode(
            """
            {"request_id":"r","regulation":"\(regulation)","submitted_at":"2026-11-22T10:00:00Z","subject":{"email":"a@b.co"}}
            """
        ).get()
        #expect(request.deadline.rfc3339 == expected)
        #expect(request.vendors == nil)
    }

    @Test(
        "Each invalid field is named",
        arguments: [
            (
                #"{"regulation":"gdpr","submitted_at":"2026-11-22T10:00:00Z","subject":{"email":"a@b.co"}}"#,
                "missing_field", "request_id"
            ),
            (
                #"{"request_id":"","regulation":"gdpr","submitted_at":"2026-11-22T10:00:00Z","subject":{"email":"a@b.co"}}"#,
                "invalid_field", "request_id"
            ),
            (
                #"{"request_id":7,"regulation":"gdpr","submitted_at":"2026-11-22T10:00:00Z","subject":{"email":"a@b.co"}}"#,
                "invalid_field", "request_id"
            ),
            (
                #"{"request_id":"r","regulation":"lgpd","submitted_at":"2026-11-22T10:00:00Z","subject":{"email":"a@b.co"}}"#,
                "invalid_field", "regulation"
            ),
            (
                #"{"request_id":"r","regulation":"gdpr","submitted_at":"yesterday","subject":{"email":"a@b.co"}}"#,
                "invalid_field", "submitted_at"
            ),
            (
                #"{"request_id":"r","regulation":"gdpr","submitted_at":"2026-02-30T10:00:00Z","subject":{"email":"a@b.co"}}"#,
                "invalid_field", "submitted_at"
            ),
            (
                #"{"request_id":"r","regulation":"gdpr","submitted_at":"2026-11-22T10:00:00Z","deadline":"2026-11-01T00:00:00Z","subject":{"email":"a@b.co"}}"#,
                "invalid_field", "deadline"
            ),
            (
                #"{"request_id":"r","regulation":"gdpr","submitted_at":"2026-11-22T10:00:00Z"}"#,
                "missing_field", "subject"
            ),
            (
                #"{"request_id":"r","regulation":"gdpr","submitted_at":"2026-11-22T10:00:00Z","subject":{}}"#,
                "no_identifier", "subject"
            ),
            (
                #"{"request_id":"r","regulation":"gdpr","submitted_at":"2026-11-22T10:00:00Z","subject":{"email":"not-an-email"}}"#,
                "invalid_field", "subject.email"
            ),
            (
                #"{"request_id":"r","regulation":"gdpr","submitted_at":"2026-11-22T10:00:00Z","subject":{"phone":"555-1234"}}"#,
                "invalid_field", "subject.phone"
            ),
            (
                #"{"request_id":"r","regulation":"gdpr","submitted_at":"2026-11-22T10:00:00Z","subject":{"external_id":"  "}}"#,
                "invalid_field", "subject.external_id"
            ),
            (
                #"{"request_id":"r","regulation":"gdpr","submitted_at":"2026-11-22T10:00:00Z","subject":{"external_id":"a\u0000b"}}"#,
                "invalid_field", "subject.external_id"
            ),
            (
                #"{"request_id":"r","regulation":"gdpr","submitted_at":"2026-11-22T10:00:00Z","subject":{"user_aliases":[{"alias_name":"n"}]}}"#,
                "missing_field", "subject.user_aliases[0].alias_label"
            ),
            (
                #"{"request_id":"r","regulation":"gdpr","submitted_at":"2026-11-22T10:00:00Z","subject":{"engagelab_registration_ids":["a",3]}}"#,
                "invalid_field", "subject.engagelab_registration_ids[1]"
            ),
            (
                #"{"request_id":"r","regulation":"gdpr","submitted_at":"2026-11-22T10:00:00Z","subject":{"email":"a@b.co"},"vendors":["braze","mailchimp"]}"#,
                "unknown_vendor", "vendors[1]"
            ),
            (
                #"{"request_id":"r","regulation":"gdpr","submitted_at":"2026-11-22T10:00:00Z","subject":{"email":"a@b.co"},"vendors":"braze"}"#,
                "invalid_field", "vendors"
            ),
        ]
    )
    func namesTheField(json: String, code: String, field: String) throws {
        let rejection = try #require(rejectionOf(json))
        #expect(rejection.code.rawValue == code)
        #expect(rejection.field == field)
    }

    @Test func rejectsWholeMessageProblems() throws {
        #expect(rejectionOf("not json")?.code == .invalidJSON)
        #expect(rejectionOf("[1,2]")?.code == .invalidJSON)
        #expect(rejectionOf("")?.code == .invalidJSON)
        let invalidUTF8: [UInt8] = [0x7B, 0xFF, 0xFE, 0x7D]
        guard case .failure(let rejected) = decoder.decode(invalidUTF8) else {
            Issue.record("accepted")
            return
        }
        #expect(rejected.rejection.code == .invalidEncoding)
        let huge = Array(repeating: UInt8(ascii: " "), count: 1 << 20)
        guard case .failure(let tooLarge) = decoder.decode(huge) else {
            Issue.record("accepted")
            return
        }
        #expect(tooLarge.rejection.code == .messageTooLarge)
    }

    @Test func salvagesTheRequestIDOfARejectedRequest() throws {
        guard
            case .failure(let rejected) = decode(
                #"{"request_id":"r-9","regulation":"gdpr","subject":{"email":"a@b.co"}}"#
            )
        else {
            Issue.record("accepted")
            return
        }
        #expect(rejected.salvage.requestID == "r-9")
        #expect(rejected.salvage.regulation == .gdpr)
        #expect(rejected.rejection.field == "submitted_at")
    }

    @Test func rejectionMessagesNeverEchoTheValue() throws {
        let rejection = try #require(
            rejectionOf(
                #"{"request_id":"r","regulation":"gdpr","submitted_at":"2026-11-22T10:00:00Z","subject":{"email":"secret-person.example.com"}}"#
            )
        )
        #expect(!rejection.description.contains("secret-person"))
    }

    @Test func subjectDescriptionIsRedacted() throws {
        let subject = Subject(externalID: "u-1", email: "someone@example.com")
        #expect(!"\(subject)".contains("someone"))
        #expect(!"\(subject)".contains("u-1"))
    }
}
