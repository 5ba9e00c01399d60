import Foundation
import Testing
import TallyKafka
import TallyTestSupport

/// Against a real noida-db process, one per test, run one at a time (2 shared cores).
@Suite(.serialized) struct BrokerTests {
    private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test func brokerStartsAnswersAndStopsLeavingNothingBehind() throws {
        let broker = try BrokerProcess.start()
        let admin = try KafkaAdmin(config: KafkaConfig(bootstrapServers: broker.bootstrapServers))
        #expect(try admin.topics()["never-created"] == nil)
        broker.stop()
        #expect(kill(broker.brokerPID, 0) != 0, "broker process must be gone after stop()")
        #expect(!FileManager.default.fileExists(atPath: broker.rootDirectory))
    }

    @Test func createTopicIsIdempotentAndReportsPartitions() throws {
        let broker = try BrokerProcess.start()
        defer { broker.stop() }
        let admin = try KafkaAdmin(config: KafkaConfig(bootstrapServers: broker.bootstrapServers))
        #expect(try admin.createTopic("samples", partitions: 3) == true)
        #expect(try admin.createTopic("samples", partitions: 3) == false)
        #expect(try admin.partitionCount(of: "samples") == 3)
        #expect(try admin.partitionCount(of: "absent") == nil)
    }

    @Test func keyedRecordsAreAckedOnceAndReadBackExactly() throws {
        let broker = try BrokerProcess.start()
        defer { broker.stop() }
        let admin = try KafkaAdmin(config: KafkaConfig(bootstrapServers: broker.bootstrapServers))
        try admin.createTopic("usage", partitions: 3)
        let count = 600
        let keys = (0..<count).map { bytes("resource-\($0 % 17)") }
        let values = (0..<count).map { bytes("sample-\($0)") }
        let reports = try KafkaTestIO.produce(values, keys: keys, to: "usage", bootstrapServers: broker.bootstrapServers)

        #expect(reports.map(\.token) == (0..<UInt64(count)).map { $0 }, "one ack per token")
        #expect(reports.allSatisfy { $0.error == nil && $0.offset >= 0 })
        // Same key, same partition; offsets within each partition are dense from 0.
        var partitionOfKey: [[UInt8]: Int32] = [:]
        for (i, report) in reports.enumerated() {
            #expect(partitionOfKey[keys[i], default: report.partition] == report.partition)
            partitionOfKey[keys[i]] = report.partition
        }
        for p in Int32(0)..<3 {
            let offsets = reports.filter { $0.partition == p }.map(\.offset).sorted()
            #expect(offsets == (0..<Int64(offsets.count)).map { $0 })
            let marks = try admin.watermarks(topic: "usage", partition: p)
            #expect(marks.low == 0 && marks.high == Int64(offsets.count))
        }
        #expect(Set(partitionOfKey.values).count > 1, "keys spread over partitions")

        let records = try KafkaTestIO.consumeAll(topic: "usage", partitions: 3, bootstrapServers: broker.bootstrapServers)
        #expect(records.count == count)
        for record in records {
            let report = reports.first { $0.partition == record.partition && $0.offset == record.offset }!
            #expect(record.value == values[Int(report.token)])
            #expect(record.key == keys[Int(report.token)])
        }
    }

    @Test func consumingResumesExactlyFromAStoredOffset() throws {
        let broker = try BrokerProcess.start()
        defer { broker.stop() }
        let admin = try KafkaAdmin(config: KafkaConfig(bootstrapServers: broker.bootstrapServers))
        try admin.createTopic("resume", partitions: 1)
        let values = (0..<50).map { bytes("v\($0)") }
        try KafkaTestIO.produce(values, to: "resume", partition: 0, bootstrapServers: broker.bootstrapServers)
        let tail = try KafkaTestIO.consumeAll(topic: "resume", partitions: 1, from: [0: 37],
                                              bootstrapServers: broker.bootstrapServers)
        #expect(tail.map(\.offset) == Array(37..<50))
        #expect(tail.map(\.value) == Array(values[37...]))
        let none = try KafkaTestIO.consumeAll(topic: "resume", partitions: 1, from: [0: 50],
                                              bootstrapServers: broker.bootstrapServers)
        #expect(none.isEmpty, "starting at the end yields nothing but the end-of-partition event")
    }

    @Test func headersTimestampsAndOffsetsForTimes() throws {
        let broker = try BrokerProcess.start()
        defer { broker.stop() }
        let config = KafkaConfig(bootstrapServers: broker.bootstrapServers)
        let admin = try KafkaAdmin(config: config)
        try admin.createTopic("timed", partitions: 1)
        // Current timestamps: noida-db applies time-based retention.
        let base = Int64(Date().timeIntervalSince1970 * 1000) - 60_000
        let producer = try KafkaProducer(config: config, idempotent: true)
        let topic = try producer.topic("timed")
        for i in 0..<10 {
            try producer.produce(to: topic, partition: 0, key: nil, value: bytes("t\(i)"),
                                 headers: [KafkaHeader(name: "kind", value: bytes("k\(i)"))],
                                 timestampMs: base + Int64(i) * 1_000, token: UInt64(i))
        }
        var acked = 0
        try producer.flush(timeoutMs: 10_000) { report in
            #expect(report.error == nil)
            acked += 1
        }
        #expect(acked == 10)
        #expect(producer.outstandingCount == 0)

        #expect(try admin.offsetsForTimes(topic: "timed", timestampsMs: [0: base + 4_500]) == [0: 5])
        #expect(try admin.offsetsForTimes(topic: "timed", timestampsMs: [0: base + 60_000]) == [0: -1])

        let consumer = try KafkaConsumer(config: config, groupID: "headers-\(UUID())")
        defer { consumer.close() }
        try consumer.assign([("timed", 0, .exact(3))])
        let batch = KafkaRecordBatch(capacity: 100)
        let deadline = Date().addingTimeInterval(20)
        while batch.isEmpty && Date() < deadline { try consumer.poll(into: batch, timeoutMs: 200) }
        let first = try #require(batch.first)
        #expect(first.offset == 3)
        #expect(first.timestampMs == base + 3_000)
        #expect(first.header(named: "kind") == bytes("k3"))
        #expect(first.header(named: "missing") == nil)
        #expect(first.topic == "timed")
    }

    @Test func outOfRangeStartIsReportedNotSkipped() throws {
        let broker = try BrokerProcess.start()
        defer { broker.stop() }
        let config = KafkaConfig(bootstrapServers: broker.bootstrapServers)
        try KafkaAdmin(config: config).createTopic("short", partitions: 1)
        try KafkaTestIO.produce([[1], [2]], to: "short", partition: 0, bootstrapServers: broker.bootstrapServers)
        let consumer = try KafkaConsumer(config: config, groupID: "range-\(UUID())")
        defer { consumer.close() }
        try consumer.assign([("short", 0, .exact(1_000))])
        let batch = KafkaRecordBatch(capacity: 10)
        let deadline = Date().addingTimeInterval(20)
        while batch.errors.isEmpty && Date() < deadline { try consumer.poll(into: batch, timeoutMs: 200) }
        #expect(batch.isEmpty)
        let error = try #require(batch.errors.first)
        #expect(error.context.contains("short[0]"))
        #expect(error.name.contains("OFFSET") || error.name.contains("RESET"), "got \(error)")
    }

    @Test func commitAsyncPublishesProgressToTheGroup() throws {
        let broker = try BrokerProcess.start()
        defer { broker.stop() }
        let config = KafkaConfig(bootstrapServers: broker.bootstrapServers)
        try KafkaAdmin(config: config).createTopic("lag", partitions: 2)
        let consumer = try KafkaConsumer(config: config, groupID: "lag-monitor")
        defer { consumer.close() }
        try consumer.commitAsync([KafkaTopicPartitionOffset(topic: "lag", partition: 1, offset: 42)])
        let deadline = Date().addingTimeInterval(20)
        var committed: Int64 = -1001
        while committed != 42 && Date() < deadline {
            committed = try consumer.committedOffsets([("lag", 1)], timeoutMs: 2_000).first?.offset ?? -1001
            if committed != 42 { usleep(50_000) }
        }
        #expect(committed == 42)
    }
}
