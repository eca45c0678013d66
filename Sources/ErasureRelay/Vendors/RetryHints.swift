import DequeModule
import Foundation
import NIOHTTP1

/// How long a vendor asked us to wait, from `Retry-After` (seconds or an HTTP date) or a reset time in epoch seconds.
///
/// The headers come from outside and may hold anything: a negative number, `1e30`, a date in the year 9999, text.
/// What cannot be read is ignored, and every wait is clamped to ``maxWaitSeconds``, so that no answer can make a
/// `Duration` overflow or hold a lane for longer than the longest park.
enum RetryHints {
    /// The longest wait taken from a vendor: a week, the largest `parking.max_delay_seconds`.
    static let maxWaitSeconds: Double = 604_800

    static func retryAfter(_ headers: HTTPHeaders, name: String = "retry-after", now: Date = Date()) -> Double? {
        guard let value = headers.first(name: name)?.trimmingCharacters(in: .whitespaces),
            !value.isEmpty, value.utf8.count <= 64
        else { return nil }
        if let seconds = Double(value) { return clamped(seconds) }
        // An HTTP date is printable ASCII. Foundation's date parser traps on some other text (a letter followed by
        // a combining mark), so nothing else reaches it.
        guard value.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: value).flatMap { clamped($0.timeIntervalSince(now)) }
    }

    static func resetAt(_ headers: HTTPHeaders, name: String, now: Date = Date()) -> Double? {
        guard let value = headers.first(name: name)?.trimmingCharacters(in: .whitespaces), value.utf8.count <= 64,
            let epoch = Double(value)
        else { return nil }
        return clamped(epoch - now.timeIntervalSince1970)
    }

    /// `seconds` within 0 and ``maxWaitSeconds``; nil for a value that is not a number.
    static func clamped(_ seconds: Double) -> Double? {
        guard !seconds.isNaN else { return nil }
        return min(max(0, seconds), maxWaitSeconds)
    }

    /// The common reading of transient statuses: 429 and 5xx are worth retrying, 429 and 503 with a wait.
    static func transient(_ response: VendorResponse, resetHeader: String? = nil) -> CallResult? {
        guard response.status == 429 || (500...599).contains(response.status) else { return nil }
        var wait = retryAfter(response.headers)
        if wait == nil, response.status == 429, let resetHeader {
            wait = resetAt(response.headers, name: resetHeader)
        }
        return .retriable(reason: "HTTP \(response.status)", retryAfter: wait)
    }
}
