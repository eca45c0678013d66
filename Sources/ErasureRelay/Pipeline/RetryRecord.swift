import Kafka

/// A record of the retry topic whose signature was verified and whose progress was read, once, when it was consumed:
/// it says which vendors already took the erasure and when the request may be tried again.
public struct RetryRecord: Sendable {
    /// The progress the relay wrote when it parked the request; nil for a signed record that carries none, whose
    /// request starts afresh at every vendor.
    public let progress: RequestProgress?

    private init(progress: RequestProgress?) {
        self.progress = progress
    }

    /// Verifies `message` against the relay's keys and reads its progress.
    /// - Returns: the record, or the rejection its request gets when one of the relay's keys did not sign it or its
    ///   progress cannot be read. Nothing of such a record is trusted, its request id included.
    public static func verifying(_ message: KafkaMessage, signer: RecordSigner) -> Result<RetryRecord, RequestRejection>
    {
        if let rejection = signer.rejection(ofUnsigned: message, claiming: "its progress is") {
            return .failure(rejection)
        }
        do throws(RequestRejection) {
            return .success(RetryRecord(progress: try RequestProgress(headers: message.headers)))
        } catch {
            return .failure(error)
        }
    }
}
