import Kafka

/// Reads a record of the jobs topic: only one that one of the relay's keys signed is trusted, since a forged record
/// could claim a job done.
enum JobRecord {
    /// Verifies `message` against the relay's keys and reads its follow-up.
    /// - Returns: the follow-up, or the rejection its record gets.
    static func verifying(_ message: KafkaMessage, signer: RecordSigner) -> Result<JobFollowUp, RequestRejection> {
        if let rejection = signer.rejection(ofUnsigned: message, claiming: "its jobs are") {
            return .failure(rejection)
        }
        do throws(RequestRejection) {
            return .success(try JobFollowUp(jsonBytes: message.value))
        } catch {
            return .failure(error)
        }
    }
}
