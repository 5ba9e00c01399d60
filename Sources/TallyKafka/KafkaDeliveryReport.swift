import CRdKafka

/// The outcome of one produced message, reported by `KafkaProducer.poll` / `flush`.
/// `token` is the value passed to `produce`, so the caller can retire exactly the outbox
/// entries the broker acknowledged.
public struct KafkaDeliveryReport: Sendable {
    /// The caller's token from `produce(…token:)`.
    public let token: UInt64
    public let partition: Int32
    /// The offset the broker assigned; -1001 when unknown (failed, or retried under idempotence).
    public let offset: Int64
    /// `nil` when the broker acknowledged the message (per `acks`, `all` by default).
    public let error: KafkaError?
}

/// Collects delivery reports from librdkafka's C callback. The callback runs inside
/// `rd_kafka_poll`/`rd_kafka_flush` on the calling thread, so no locking is needed.
final class DeliveryCollector {
    var reports: [KafkaDeliveryReport] = []

    init() { reports.reserveCapacity(1024) }

    /// Registers the C callback and this collector as the client's opaque. The collector
    /// must outlive the `rd_kafka_t` created from `conf`.
    func install(on conf: OpaquePointer) {
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(self).toOpaque())
        rd_kafka_conf_set_dr_msg_cb(conf) { _, message, opaque in
            guard let message, let opaque else { return }
            let collector = Unmanaged<DeliveryCollector>.fromOpaque(opaque).takeUnretainedValue()
            let m = message.pointee
            let error: KafkaError? = m.err == RD_KAFKA_RESP_ERR_NO_ERROR
                ? nil : KafkaError(m.err, context: "delivery to partition \(m.partition)")
            collector.reports.append(KafkaDeliveryReport(
                token: UInt64(UInt(bitPattern: m._private)), partition: m.partition,
                offset: m.offset, error: error))
        }
    }

    /// Hands every collected report to `body` and empties the buffer (keeping its storage).
    func drain(_ body: (KafkaDeliveryReport) throws -> Void) rethrows {
        defer { reports.removeAll(keepingCapacity: true) }
        for report in reports { try body(report) }
    }
}
