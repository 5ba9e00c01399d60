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

        var config = broker.clientConfig
        config["fetch.wait.max.ms"] = "50"  // the parking interval
        let consumer = try KafkaConsumer(config: config, groupID: "parking-test", reportEndOfPartition: true)
        defer { consumer.close() }
        try consumer.assign([("parked", 0, .beginning), ("parked", 1, .beginning)])
        let batch = KafkaRecordBatch(capacity: 100)
        var seen: [(Int32, Int64, [UInt8])] = []
        var ends: [Int32: Int64] = [:]
        var endReports: [Int32: [Int64]] = [:]
        /// Polls until both partitions reported an end at `expected` (or the deadline).
        func readUntilEnds(_ expected: [Int32: Int64]) throws {
            let deadline = Date().addingTimeInterval(30)
            while ends != expected && Date() < deadline {
                try consumer.poll(into: batch, timeoutMs: 100)
                for record in batch { seen.append((record.partition, record.offset, Array(record.value))) }
                for end in batch.partitionEnds {
                    ends[end.partition] = end.offset
                    endReports[end.partition, default: []].append(end.offset)
                }
            }
        }
        try readUntilEnds([0: 20, 1: 0])
        #expect(ends == [0: 20, 1: 0])
        let both: Set = [KafkaPartitionID(topic: "parked", partition: 0), KafkaPartitionID(topic: "parked", partition: 1)]
        #expect(consumer.parkedPartitions == both, "both partitions read to their end are parked")

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
        // A bounded reader stops at the first end it sees: parking must not report an end
        // twice (an end may come in steps if the check caught the producer half-way).
        for (partition, reports) in endReports {
            #expect(zip(reports, reports.dropFirst()).allSatisfy { $0 < $1 }, "partition \(partition) ends reported: \(reports)")
        }
    }

    /// Parking is every consumer's default: one that did not ask for end-of-partition events
    /// parks all the same, sees none of them, and still gets what is produced later.
    @Test func aConsumerThatAsksForNoEndsStillParksAndDelivers() throws {
        let broker = try BrokerProcess.start()
        defer { broker.stop() }
        try KafkaAdmin(config: KafkaConfig(bootstrapServers: broker.bootstrapServers)).createTopic("quiet", partitions: 1)
        try KafkaTestIO.produce((0..<5).map { Array("a\($0)".utf8) }, to: "quiet", partition: 0, bootstrapServers: broker.bootstrapServers)
        var config = broker.clientConfig
        config["fetch.wait.max.ms"] = "50"
        let consumer = try KafkaConsumer(config: config, groupID: "quiet-test")
        defer { consumer.close() }
        try consumer.assign([("quiet", 0, .beginning)])
        let batch = KafkaRecordBatch(capacity: 100)
        var offsets: [Int64] = []
        var endsSeen = 0
        let partition = KafkaPartitionID(topic: "quiet", partition: 0)
        func readUntil(_ done: () -> Bool) throws {
            let deadline = Date().addingTimeInterval(30)
            while !done() && Date() < deadline {
                try consumer.poll(into: batch, timeoutMs: 100)
                offsets += batch.map(\.offset)
                endsSeen += batch.partitionEnds.count
            }
        }
        try readUntil { offsets.count == 5 && consumer.parkedPartitions == [partition] }
        #expect(consumer.parkedPartitions == [partition], "parked at its end without reporting it")
        try KafkaTestIO.produce((0..<3).map { Array("b\($0)".utf8) }, to: "quiet", partition: 0, bootstrapServers: broker.bootstrapServers)
        try readUntil { offsets.count == 8 }
        #expect(offsets == Array(0..<8), "every offset once, in order")
        #expect(endsSeen == 0, "no end-of-partition event reaches a caller that did not ask for them")
    }

    /// A group member parks the partitions it read to its end; a rebalance takes them away
    /// (eager `range`: everything is revoked, then split) and gives one back: it must not
    /// come back paused (librdkafka keeps a pause across assignments), and nothing produced
    /// meanwhile may be lost. Nothing is committed, so each owner reads from the beginning.
    @Test func rebalancingParkedPartitionsLosesNothing() throws {
        let broker = try BrokerProcess.start()
        defer { broker.stop() }
        try KafkaAdmin(config: broker.clientConfig).createTopic("moving", partitions: 2)
        let all = Set((0..<2).map { KafkaPartitionID(topic: "moving", partition: Int32($0)) })
        for p in 0..<Int32(2) {
            try KafkaTestIO.produce((0..<10).map { Array("a\(p)-\($0)".utf8) }, to: "moving", partition: p,
                                    bootstrapServers: broker.bootstrapServers)
        }
        func member(_ name: String) throws -> KafkaGroupConsumer {
            try broker.staticMember(name, of: "parked-group", subscribedTo: "moving", extra: ["fetch.wait.max.ms": "50"])
        }
        let batch = KafkaRecordBatch(capacity: 100)
        /// Offsets each member read of each partition since its latest assignment of it.
        var read: [String: [KafkaPartitionID: [Int64]]] = ["a": [:], "b": [:]]
        var rebalancesSeen: [String: Int] = ["a": 0, "b": 0]
        func poll(_ name: String, _ consumer: KafkaGroupConsumer) throws {
            try consumer.poll(into: batch, timeoutMs: 50)
            if consumer.rebalances != rebalancesSeen[name] {  // a new assignment reads from the beginning again
                rebalancesSeen[name] = consumer.rebalances
                read[name] = [:]
            }
            for record in batch { read[name]![KafkaPartitionID(topic: record.topic, partition: record.partition), default: []].append(record.offset) }
        }
        let a = try member("a")
        defer { a.close() }
        var deadline = Date().addingTimeInterval(60)
        while a.parkedPartitions != all && Date() < deadline { try poll("a", a) }
        #expect(a.assignment == all && a.parkedPartitions == all, "a alone read both partitions to their end and parked them")

        let b = try member("b")
        defer { b.close() }
        func split() -> Bool {
            a.assignment.count == 1 && b.assignment.count == 1 && a.assignment.union(b.assignment) == all
        }
        deadline = Date().addingTimeInterval(60)
        while !split() && Date() < deadline {
            try poll("a", a)
            try poll("b", b)
        }
        #expect(split(), "split: \(a.assignment) / \(b.assignment)")
        for p in 0..<Int32(2) {
            try KafkaTestIO.produce((0..<5).map { Array("b\(p)-\($0)".utf8) }, to: "moving", partition: p,
                                    bootstrapServers: broker.bootstrapServers)
        }
        func readWhole() -> Bool {
            all.allSatisfy { partition in
                let owner = a.assignment.contains(partition) ? "a" : "b"
                return read[owner]![partition] == Array(0..<15)
            }
        }
        deadline = Date().addingTimeInterval(60)
        while !readWhole() && Date() < deadline {
            try poll("a", a)
            try poll("b", b)
        }
        for partition in all.sorted(by: { $0.partition < $1.partition }) {
            let owner = a.assignment.contains(partition) ? "a" : "b"
            #expect(read[owner]![partition] == Array(0..<15), "\(partition), owned by \(owner), read whole, once, in order")
        }
    }
}
