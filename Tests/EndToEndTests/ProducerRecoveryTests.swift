import Foundation
@testable import TallyRater
import TallyRuntime
import Testing
import TallyEngine
import TallyKafka
import TallyTestSupport

/// A fatal error of the idempotent producer (OUT_OF_ORDER_SEQUENCE_NUMBER after a broker
/// restart, in the field) must not end the rater: the sender replaces the producer and
/// resends every unacknowledged outbox message, byte-identical, so every one arrives.
/// noida-db cannot be made to raise such an error reliably, so librdkafka's own fault
/// injection (`rd_kafka_test_fatal_error`) raises it, against the real broker process.
@Suite(.serialized) struct ProducerRecoveryTests {
    @Test func aFatalProducerErrorReplacesTheProducerAndResendsTheOutboxByteIdentical() throws {
        let broker = try BrokerProcess.start()
        defer { broker.stop() }
        _ = try KafkaAdmin(config: broker.clientConfig).createTopic("frames", partitions: 3)
        var acknowledged: [UInt64] = []
        var logLines: [String] = []
        let sender = try OutboxSender(makeProducer: { try KafkaProducer(config: broker.clientConfig, idempotent: true) },
                                      log: { logLines.append($0) }, onAcknowledged: { acknowledged.append($0) })
        let messages = (1...3000).map { i in
            OutgoingMessage(topic: "frames", partition: Int32(i % 3), key: Array("scope-\(i % 7)".utf8),
                            value: Array("{\"frame\":\(i),\"pad\":\"\(String(repeating: "p", count: i % 97))\"}".utf8),
                            token: UInt64(i))
        }
        try sender.send(Array(messages[0..<1500]))
        try sender.poll(timeoutMs: 0)
        let first = sender.currentProducer
        first.injectFatalErrorForTesting(reason: "test: sequence desynchronised")
        try sender.send(Array(messages[1500...]))
        let deadline = Date().addingTimeInterval(60)
        while try !sender.flush(timeoutMs: 1_000) && Date() < deadline {}

        #expect(sender.unacknowledged.isEmpty)
        #expect(sender.recoveries == 1)
        #expect(sender.currentProducer !== first)
        #expect(acknowledged.count == messages.count)
        #expect(Set(acknowledged) == Set(messages.map(\.token)))
        #expect(logLines.contains { $0.contains("OUT_OF_ORDER_SEQUENCE_NUMBER") }, "\(logLines)")

        // Every message is on its partition, byte-identical; nothing else is there (a
        // message may arrive twice if the old producer delivered it unreported).
        let records = try TopicIO.readAll(topic: "frames", bootstrapServers: broker.bootstrapServers)
        struct Arrival: Hashable { var partition: Int32; var key: [UInt8]; var value: [UInt8] }
        let arrived = Set(records.map { Arrival(partition: $0.partition, key: $0.key ?? [], value: $0.value) })
        let sent = Set(messages.map { Arrival(partition: $0.partition, key: $0.key, value: $0.value) })
        #expect(arrived == sent)
        #expect(records.count >= messages.count)
    }
}
