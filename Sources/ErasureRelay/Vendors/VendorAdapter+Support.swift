import DequeModule
import Foundation
import NIOHTTP1

extension JSONText {
    /// The items' JSON payloads as the elements of an array, wrapped in `opening` and `closing`.
    static func array(of items: [VendorItem], between opening: String, and closing: String) -> [UInt8] {
        var body = Array(opening.utf8)
        for (index, item) in items.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body += item.payload
        }
        return body + Array(closing.utf8)
    }

    static func object(_ body: [UInt8]) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }
}

enum HTTPAuthorization {
    static func basic(user: String, password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }
}

/// Percent-encoding of UTF-8 bytes: the bytes a use keeps stay as they are, and every other byte becomes `%XX`.
enum PercentEncoding {
    /// For one path segment: everything but RFC 3986 unreserved characters is escaped, so that `/`, `?`, `#`, `%`
    /// and `..` inside an identifier can never change which resource is addressed. "." is escaped too: a segment of
    /// "." or ".." would otherwise be removed by URL normalisation.
    /// - Parameter keepingDots: leaves "." unescaped, as a server may echo the path; never for a path sent.
    static func pathSegment(_ bytes: some Sequence<UInt8>, keepingDots: Bool = false) -> String {
        encode(bytes) { byte in
            isAlphanumeric(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~")
                || (keepingDots && byte == UInt8(ascii: "."))
        }
    }

    /// For a field name or value of an `application/x-www-form-urlencoded` body or query, as HTML forms encode it:
    /// a space becomes "+".
    static func formField(_ text: String) -> String {
        encode(text.utf8, spaceAsPlus: true) { byte in
            isAlphanumeric(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "*")
        }
    }

    private static func encode(
        _ bytes: some Sequence<UInt8>,
        spaceAsPlus: Bool = false,
        keeping keeps: (UInt8) -> Bool
    ) -> String {
        var result = ""
        result.reserveCapacity(bytes.underestimatedCount)
        for byte in bytes {
            if keeps(byte) {
                result.unicodeScalars.append(UnicodeScalar(byte))
            } else if spaceAsPlus && byte == UInt8(ascii: " ") {
                result.unicodeScalars.append("+")
            } else {
                result.unicodeScalars.append("%")
                result.unicodeScalars.append(upperHexDigits[Int(byte >> 4)])
                result.unicodeScalars.append(upperHexDigits[Int(byte & 0xF)])
            }
        }
        return result
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static let upperHexDigits = Array("0123456789ABCDEF".unicodeScalars)
}

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

/// Text from a vendor's answer, made fit for outcomes and logs.
///
/// Vendors may echo what they were sent: an error message naming the e-mail address it could not read, or a path
/// holding a registration id. Since a call batches the identifiers of several requests, an unscrubbed reason could
/// even carry one user's identifiers into another user's outcome.
public enum VendorText {
    /// What stands where an identifier was.
    public static let placeholder = "[identifier]"
    /// The note on an erasure accepted because the vendor holds no such user or device: nothing is left to delete.
    public static let notFound = "not found"
    /// The longest reason kept, in characters; vendors' error lists can run long.
    public static let maxLength = 300

    /// The most vendor text a reference or a rule's `body_contains` reads, in bytes.
    static let maxScannedLength = 4096

    /// The most vendor text scrubbing reads, in Unicode scalars: as much as a vendor's answer may hold. What lies
    /// beyond is dropped with the scalars before it that an identifier running past the end could still cover.
    static let maxScrubbedLength = 1 << 20

    /// `text` with every identifier of `items` replaced, ignoring case, as sent, as JSON-escaped, as percent-encoded
    /// for a path (with or without its dots escaped) and as a form field, then cut to ``maxLength``.
    ///
    /// The text is scrubbed first and cut afterwards, so that an identifier is seen whole wherever it stands,
    /// however long the text: cutting first left the part of an echoed identifier before the cut in the text. One
    /// pass finds every occurrence of every form (an Aho–Corasick automaton), in time linear in the text. Every scalar
    /// inside any occurrence is removed, so overlapping echoes leave no piece behind, and each run of removed
    /// scalars becomes one ``placeholder``. What was put in is never read again, so a one-character identifier that
    /// also occurs in the placeholder cannot make the text grow. Reading stops as soon as the kept text is longer
    /// than ``maxLength``.
    public static func scrub(_ text: String, of items: [VendorItem]) -> String {
        let matcher = matcher(for: items)
        // A scalar is final once `settle` more have been read: no occurrence ending later can reach back to it.
        let settle = matcher.longestWord
        var pending = Deque<Unicode.Scalar>()
        var pendingStart = 0
        var covered = Deque<Range<Int>>()
        var scrubbed = String.UnicodeScalarView()
        var keptScalars = 0
        var inPlaceholder = false
        var cut = false
        var state: IdentifierMatcher.State = 0

        func emitFirstPending() {
            let position = pendingStart
            let scalar = pending.removeFirst()
            pendingStart += 1
            while let first = covered.first, first.upperBound <= position { covered.removeFirst() }
            if let first = covered.first, first.contains(position) {
                if !inPlaceholder { scrubbed.append(contentsOf: placeholder.unicodeScalars) }
                inPlaceholder = true
            } else {
                scrubbed.append(scalar)
                inPlaceholder = false
            }
            keptScalars += 1
        }

        var position = 0
        for scalar in text.unicodeScalars {
            guard position < maxScrubbedLength else {
                // The last `settle` scalars read may begin an identifier that goes on past here: drop them.
                cut = true
                pending.removeAll()
                break
            }
            pending.append(scalar)
            state = matcher.next(state, fold(scalar))
            let length = matcher.longestMatch(at: state)
            if length > 0 {
                var occurrence = (position + 1 - length)..<(position + 1)
                while let last = covered.last, last.upperBound >= occurrence.lowerBound {
                    occurrence = min(last.lowerBound, occurrence.lowerBound)..<occurrence.upperBound
                    covered.removeLast()
                }
                covered.append(occurrence)
            }
            position += 1
            while pending.count > settle {
                emitFirstPending()
            }
            if keptScalars > maxLength {
                cut = true
                break
            }
        }
        if !cut {
            while !pending.isEmpty && keptScalars <= maxLength { emitFirstPending() }
            cut = !pending.isEmpty
        }
        let result = String(scrubbed)
        return result.count > maxLength || cut ? String(result.prefix(maxLength)) + "…" : result
    }

    /// A matcher of every form in which a vendor may echo the identifiers of `items`, folded to compare without case.
    private static func matcher(for items: [VendorItem]) -> IdentifierMatcher {
        var matcher = IdentifierMatcher()
        for item in items {
            for value in item.values where !value.isEmpty {
                var escaped = ""
                JSONText.appendEscaped(value, to: &escaped)
                let bytes = Array(value.utf8)
                // A server may also echo the path with "." unescaped, as RFC 3986 allows for an unreserved character.
                for form in [
                    value, escaped, PercentEncoding.pathSegment(bytes),
                    PercentEncoding.pathSegment(bytes, keepingDots: true), PercentEncoding.formField(value),
                ] {
                    matcher.insert(form.unicodeScalars.lazy.map(fold))
                }
            }
        }
        matcher.finishInsertion()
        return matcher
    }

    /// The longest vendor reference kept.
    public static let maxReferenceLength = 128

    /// A vendor's reference as it may be kept: scrubbed, then only if it is 1 to ``maxReferenceLength`` printable
    /// ASCII characters. A reference is copied into outcomes and retry headers, so anything else is dropped.
    /// - Returns: the reference to keep, and a note when one was dropped.
    static func reference(_ reference: String?, of items: [VendorItem]) -> (kept: String?, note: String?) {
        guard let reference else { return (nil, nil) }
        guard reference.utf8.count <= maxScannedLength else {
            return (nil, "vendor reference dropped: longer than \(maxReferenceLength) characters")
        }
        let scrubbed = scrub(reference, of: items)
        guard (1...maxReferenceLength).contains(scrubbed.utf8.count),
            scrubbed.utf8.allSatisfy({ (0x20...0x7E).contains($0) })
        else {
            return (nil, "vendor reference dropped: not 1 to \(maxReferenceLength) printable ASCII characters")
        }
        return (scrubbed, nil)
    }

    /// A scalar compared without case: its lower-case form where that is one scalar.
    private static func fold(_ scalar: Unicode.Scalar) -> UInt32 {
        if scalar.isASCII {
            let value = scalar.value
            return (0x41...0x5A).contains(value) ? value + 0x20 : value
        }
        let lower = scalar.properties.lowercaseMapping.unicodeScalars
        return lower.count == 1 ? lower.first!.value : scalar.value
    }
}

extension CallResult {
    /// Every value ``metricLabel(status:)`` returns.
    static let metricLabels = ["accepted", "rejected", "retriable", "transport_error"]

    /// The `result` label of the vendor call metrics; `status` is nil for a call that got no answer.
    func metricLabel(status: Int?) -> String {
        switch (self, status) {
        case (.accepted, _): "accepted"
        case (.rejected, _): "rejected"
        case (.retriable, nil): "transport_error"
        case (.retriable, _): "retriable"
        }
    }
}
