import CRDKafka
import Logging

extension RDKafkaClient {
    /// Routes librdkafka's callbacks to the ``ClientContext`` behind the client's opaque pointer, converting their C
    /// arguments to Swift values first.
    static func install(_ callbacks: Callbacks, on conf: OpaquePointer) {
        installLogAndErrorCallbacks(conf)
        if callbacks.contains(.statistics) {
            rd_kafka_conf_set_stats_cb(conf) { client, json, length, _ in
                guard let json, let context = clientContext(of: client) else { return 0 }
                context.statistics(String(decoding: UnsafeRawBufferPointer(start: json, count: length), as: UTF8.self))
                return 0
            }
        }
        if callbacks.contains(.offsetCommits) {
            rd_kafka_conf_set_offset_commit_cb(conf) { client, error, partitions, _ in
                guard let context = clientContext(of: client) else { return }
                let committed = partitions.map { RDKafkaTopicPartitionList.offsets(of: $0, committedOnly: true) } ?? [:]
                // _NO_OFFSET: nothing was stored since the last commit; not a failure. A broker may refuse some
                // partitions of a commit it answers without a top-level error, so each element counts too.
                let partitionFailed = partitions.map(RDKafkaTopicPartitionList.hasError) ?? false
                let succeeded =
                    !partitionFailed
                    && (error == RD_KAFKA_RESP_ERR_NO_ERROR || error == RD_KAFKA_RESP_ERR__NO_OFFSET)
                context.offsetsCommitted(succeeded: succeeded, offsets: committed)
            }
        }
        if callbacks.contains(.rebalances) {
            rd_kafka_conf_set_rebalance_cb(conf) { client, error, partitions, _ in
                guard let client, let partitions, let context = clientContext(of: client) else { return }
                context.rebalance(RDKafkaRebalance(client: client, error: error, partitions: partitions))
            }
        }
        if callbacks.contains(.deliveryReports) {
            rd_kafka_conf_set_dr_msg_cb(conf) { client, message, _ in
                guard let message, let context = clientContext(of: client) else { return }
                let fields = message.pointee
                let token = UInt64(UInt(bitPattern: fields._private))
                guard fields.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                    let error = KafkaError(code: .delivery, responseError: fields.err, context: "delivery")
                    context.delivered(token: token, result: .failure(error))
                    return
                }
                let topic = fields.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
                let report = DeliveryReport(
                    topicPartition: TopicPartition(topic: topic, partition: fields.partition),
                    offset: fields.offset
                )
                context.delivered(token: token, result: .success(report))
            }
        }
    }

    private static func installLogAndErrorCallbacks(_ conf: OpaquePointer) {
        rd_kafka_conf_set_log_cb(conf) { client, level, facility, text in
            guard let context = clientContext(of: client) else { return }
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
            context.logger.log(
                level: logLevel,
                "librdkafka: \(message)",
                metadata: ["kafka.facility": "\(facilityName)"]
            )
        }
        rd_kafka_conf_set_error_cb(conf) { client, error, reason, _ in
            guard let context = clientContext(of: client) else { return }
            var kafkaError = KafkaError(
                code: .client,
                responseError: rd_kafka_resp_err_t(error),
                context: reason.map { String(cString: $0) } ?? "client error"
            )
            if rd_kafka_resp_err_t(error) == RD_KAFKA_RESP_ERR__FATAL, let client {
                var detail = [CChar](repeating: 0, count: 512)
                let underlying = rd_kafka_fatal_error(client, &detail, detail.count)
                kafkaError = KafkaError(fatal: underlying, detail: detail)
            }
            context.logger.warning("Kafka client error", metadata: ["kafka.error": "\(kafkaError)"])
            context.report(kafkaError)
        }
    }
}

private func clientContext(of client: OpaquePointer?) -> ClientContext? {
    guard let client, let opaque = rd_kafka_opaque(client) else { return nil }
    return Unmanaged<ClientContext>.fromOpaque(opaque).takeUnretainedValue()
}

extension KafkaError {
    /// The error `rd_kafka_fatal_error` returned, with the detail it wrote.
    init(fatal code: rd_kafka_resp_err_t, detail: [CChar]) {
        self.init(
            code: .client,
            message: "fatal: \(String(errorBuffer: detail))",
            librdkafkaCode: code.rawValue,
            librdkafkaName: String(cString: rd_kafka_err2name(code)),
            isFatal: true
        )
    }
}
