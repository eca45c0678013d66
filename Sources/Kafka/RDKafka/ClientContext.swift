import CRDKafka
import Logging

/// What librdkafka's callbacks reach through the client's opaque pointer: the logger, and where to report errors.
class ClientContext: @unchecked Sendable {
    let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    /// Called for errors librdkafka reports outside any single call.
    func report(_ error: KafkaError) {}

    static func from(client: OpaquePointer?) -> ClientContext? {
        guard let client, let opaque = rd_kafka_opaque(client) else { return nil }
        return Unmanaged<ClientContext>.fromOpaque(opaque).takeUnretainedValue()
    }
}

/// Routes librdkafka's log lines and client-wide errors to swift-log and to the client's context.
func installLogAndErrorCallbacks(_ conf: OpaquePointer) {
    rd_kafka_conf_set_log_cb(conf) { client, level, facility, text in
        guard let context = ClientContext.from(client: client) else { return }
        let message = text.map { String(cString: $0) } ?? ""
        let facilityName = facility.map { String(cString: $0) } ?? ""
        // syslog levels: 0-3 error, 4 warning, 5-6 notice/info, 7 debug.
        let logLevel: Logger.Level =
            switch level {
            case ...3: .error
            case 4: .warning
            case 5, 6: .info
            default: .debug
            }
        context.logger.log(level: logLevel, "librdkafka: \(message)", metadata: ["kafka.facility": "\(facilityName)"])
    }
    rd_kafka_conf_set_error_cb(conf) { client, error, reason, _ in
        guard let context = ClientContext.from(client: client) else { return }
        var kafkaError = KafkaError(
            code: .client,
            responseError: rd_kafka_resp_err_t(error),
            context: reason.map { String(cString: $0) } ?? "client error"
        )
        if rd_kafka_resp_err_t(error) == RD_KAFKA_RESP_ERR__FATAL, let client {
            var detail = [CChar](repeating: 0, count: 512)
            let underlying = rd_kafka_fatal_error(client, &detail, detail.count)
            kafkaError = KafkaError(
                code: .client,
                message: "fatal: \(String(errorBuffer: detail))",
                librdkafkaCode: underlying.rawValue,
                librdkafkaName: String(cString: rd_kafka_err2name(underlying)),
                isFatal: true
            )
        }
        context.logger.warning("Kafka client error", metadata: ["kafka.error": "\(kafkaError)"])
        context.report(kafkaError)
    }
}
