import ErasureRelay
import Testing

@Suite("RFC 3339 timestamps")
struct TimestampTests {
    @Test(arguments: [
        ("1970-01-01T00:00:00Z", Int64(0)),
        ("2026-11-22T10:00:00Z", Int64(1_795_341_600_000)),
        ("2026-11-22T10:00:00.5Z", Int64(1_795_341_600_500)),
        ("2026-11-22T12:00:00+02:00", Int64(1_795_341_600_000)),
        ("2024-02-29t10:00:00.123456z", Int64(1_709_200_800_123)),
        ("1969-12-31T23:59:59Z", Int64(-1000)),
    ])
    func parses(text: String, milliseconds: Int64) throws {
        let timestamp = try #require(Timestamp(rfc3339: text))
        #expect(timestamp.millisecondsSinceEpoch == milliseconds)
        #expect(Timestamp(rfc3339: timestamp.rfc3339) == timestamp)
    }

    @Test(arguments: [
        "2026-11-22", "2026-11-22T10:00:00", "2026-13-01T00:00:00Z", "2025-02-29T00:00:00Z",
        "2026-11-22T24:00:00Z", "2026-11-22T10:00:00+2:00", "2026-11-22T10:00:00Zjunk", "", "٢٠٢٦-11-22T10:00:00Z",
    ])
    func rejects(text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }
}
