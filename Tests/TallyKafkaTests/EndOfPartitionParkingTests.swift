import Foundation
import Testing
import TallyKafka
import TallyTestSupport

/// A consumer that parks partitions read to their end (EndOfPartitionParking.swift) must still
/// deliver every record produced later, once, in order, and report the new end.
@Suite(.serialized) struct EndOfPartitionParkingTests {
    @Test func aParkedPartitionDeliversLaterRecordsOnceInOrder() throws {
        let broker = try BrokerProcess.start()
        defer { broker.stop() }
        let admin = try KafkaAdmin(config: KafkaConfig(bootstrapServers: broker.bootstrapServers))
        try admin.createTopic("parked", partitions: 2)
        let first = (0..<20).map { Array("a\($0)".utf8) }
        try KafkaTestIO.produce(first, to: "parked", partition: 0, bootstrapServers: broker.bootstrapServers)

        let consumer = try KafkaConsumer(config: broker.clientConfig, groupID: "parking-test",
                                         reportEndOfPartition: true, parkAtEndMs: 50)
        defer { consumer.close() }
        try consumer.assign([("parked", 0, .beginning), ("parked", 1, .beginning)])
        let batch = KafkaRecordBatch(capacity: 100)
        var seen: [(Int32, Int64, [UInt8])] = []
        var ends: [Int32: Int64] = [:]
        /// Polls until both partitions reported an end at `expected` (or the deadline).
        func readUntilEnds(_ expected: [Int32: Int64]) throws {
            let deadline = Date().addingTimeInterval(30)
            while ends != expected && Date() < deadline {
                try consumer.poll(into: batch, timeoutMs: 100)
                for record in batch { seen.append((record.partition, record.offset, Array(record.value))) }
                for end in batch.partitionEnds { ends[end.partition] = end.offset }
            }
        }
        try readUntilEnds([0: 20, 1: 0])
        #expect(ends == [0: 20, 1: 0])

        // Both partitions are parked now; records produced later must still arrive.
        let later0 = (0..<15).map { Array("b\($0)".utf8) }
        let later1 = (0..<5).map { Array("c\($0)".utf8) }
        try KafkaTestIO.produce(later0, to: "parked", partition: 0, bootstrapServers: broker.bootstrapServers)
        try KafkaTestIO.produce(later1, to: "parked", partition: 1, bootstrapServers: broker.bootstrapServers)
        try readUntilEnds([0: 35, 1: 5])
        #expect(ends == [0: 35, 1: 5])

        let partition0 = seen.filter { $0.0 == 0 }
        let partition1 = seen.filter { $0.0 == 1 }
        #expect(partition0.map { $0.1 } == Array(0..<35), "every offset once, in order")
        #expect(partition0.map { $0.2 } == first + later0)
        #expect(partition1.map { $0.1 } == Array(0..<5))
        #expect(partition1.map { $0.2 } == later1)
    }
}
