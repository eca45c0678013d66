import DequeModule
import Foundation
import NIOHTTP1

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
