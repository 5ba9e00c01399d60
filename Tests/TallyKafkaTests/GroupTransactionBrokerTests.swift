import Foundation
import Testing
import TallyKafka
import TallyTestSupport

/// What `tally route` relies on from the broker CI uses (noida-db 0.2.3), through
/// librdkafka: transactions with read_committed filtering, offsets committed with a
/// transaction, fencing by transactional id, and cooperative consumer groups.
@Suite(.serialized) struct GroupTransactionBrokerTests {
    private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    /// Every value of partition 0 of `topic` with the given isolation, to its end.
    private func values(of topic: String, broker: BrokerProcess, isolation: String) throws -> [String] {
        var config = broker.clientConfig
        config["isolation.level"] = isolation
        let consumer = try KafkaConsumer(config: config, groupID: "reader-\(UUID())", reportEndOfPartition: true)
        defer { consumer.close() }
        try consumer.assign([(topic, 0, .beginning)])
        let batch = KafkaRecordBatch(capacity: 100)
        var out: [String] = []
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            try consumer.poll(into: batch, timeoutMs: 100)
            if let error = batch.errors.first { throw error }
            out += batch.map { String(decoding: $0.value, as: UTF8.self) }
            if !batch.partitionEnds.isEmpty { return out }
        }
        throw KafkaError(code: -185, context: "read \(topic) to its end")
    }

    private func produce(_ tx: KafkaTransactionalProducer, _ topic: String, _ values: [String]) throws {
        let handle = try tx.topic(topic)
        for value in values {
            try bytes(value).withUnsafeBytes { try tx.produce(to: handle, partition: 0, key: nil, value: $0) }
        }
    }

    @Test func readCommittedSeesCommittedTransactionsOnlyAndStopsAtAnOpenOne() throws {
        let broker = try BrokerProcess.start()
        defer { broker.stop() }
        try KafkaAdmin(config: broker.clientConfig).createTopic("tx", partitions: 1)
        let tx = try KafkaTransactionalProducer(config: broker.clientConfig, transactionalID: "probe-1")
        try tx.initTransactions(timeoutMs: 30_000)
        try tx.begin(); try produce(tx, "tx", ["c1", "c2"]); try tx.commit(timeoutMs: 30_000)
        try tx.begin(); try produce(tx, "tx", ["a1", "a2"]); try tx.flush(timeoutMs: 10_000); try tx.abort(timeoutMs: 30_000)
        try tx.begin(); try produce(tx, "tx", ["c3"]); try tx.commit(timeoutMs: 30_000)
        try tx.begin(); try produce(tx, "tx", ["open"]); try tx.flush(timeoutMs: 10_000)

        #expect(try values(of: "tx", broker: broker, isolation: "read_uncommitted") == ["c1", "c2", "a1", "a2", "c3", "open"],
                "everything reached the log")
        #expect(try values(of: "tx", broker: broker, isolation: "read_committed") == ["c1", "c2", "c3"],
                "aborted records filtered, the open transaction hidden (last stable offset)")
        try tx.commit(timeoutMs: 30_000)
        #expect(try values(of: "tx", broker: broker, isolation: "read_committed") == ["c1", "c2", "c3", "open"])
    }

    @Test func aNewInstanceWithTheSameIdFencesTheOldOneAndAbortsItsOpenTransaction() throws {
        let broker = try BrokerProcess.start()
        defer { broker.stop() }
        try KafkaAdmin(config: broker.clientConfig).createTopic("fenced", partitions: 1)
        let old = try KafkaTransactionalProducer(config: broker.clientConfig, transactionalID: "router-1")
        try old.initTransactions(timeoutMs: 30_000)
        try old.begin(); try produce(old, "fenced", ["zombie"]); try old.flush(timeoutMs: 10_000)

        let new = try KafkaTransactionalProducer(config: broker.clientConfig, transactionalID: "router-1")
        try new.initTransactions(timeoutMs: 30_000)
        try new.begin(); try produce(new, "fenced", ["fresh"]); try new.commit(timeoutMs: 30_000)

        #expect(try values(of: "fenced", broker: broker, isolation: "read_committed") == ["fresh"])
        do {
            try old.commit(timeoutMs: 10_000)
            Issue.record("the fenced producer committed")
        } catch let error as KafkaTransactionError {
            #expect(error.kind == .fatal, "fenced is fatal: \(error)")
        }
    }

    @Test func offsetsSentToATransactionAreCommittedWithItAndNotOnAbort() throws {
        let broker = try BrokerProcess.start()
        defer { broker.stop() }
        let admin = try KafkaAdmin(config: broker.clientConfig)
        try admin.createTopic("in", partitions: 1)
        try admin.createTopic("out", partitions: 1)
        try KafkaTestIO.produce((0..<5).map { bytes("r\($0)") }, to: "in", partition: 0, bootstrapServers: broker.bootstrapServers)
        let consumer = try KafkaGroupConsumer(config: broker.clientConfig, groupID: "copy")
        defer { consumer.close() }
        try consumer.subscribe(["in"])
        let batch = KafkaRecordBatch(capacity: 100)
        var seen: [Int64] = []
        let deadline = Date().addingTimeInterval(30)
        while seen.count < 5 && Date() < deadline {
            try consumer.poll(into: batch, timeoutMs: 100)
            seen += batch.map(\.offset)
        }
        #expect(seen == [0, 1, 2, 3, 4])
        #expect(consumer.assignment == [KafkaPartitionID(topic: "in", partition: 0)])
        let next = [KafkaTopicPartitionOffset(topic: "in", partition: 0, offset: 5)]
        let tx = try KafkaTransactionalProducer(config: broker.clientConfig, transactionalID: "copy-1")
        try tx.initTransactions(timeoutMs: 30_000)

        try tx.begin(); try produce(tx, "out", ["aborted"])
        try tx.sendOffsets(next, of: consumer, timeoutMs: 30_000)
        try tx.abort(timeoutMs: 30_000)
        #expect(try consumer.committedOffsets([KafkaPartitionID(topic: "in", partition: 0)], timeoutMs: 10_000).map(\.offset) == [-1001])

        try tx.begin(); try produce(tx, "out", ["committed"])
        try tx.sendOffsets(next, of: consumer, timeoutMs: 30_000)
        try tx.commit(timeoutMs: 30_000)
        #expect(try consumer.committedOffsets([KafkaPartitionID(topic: "in", partition: 0)], timeoutMs: 10_000).map(\.offset) == [5])
        #expect(try values(of: "out", broker: broker, isolation: "read_committed") == ["committed"])

        // After an abort the consumer goes back to the committed offsets.
        try consumer.rewindToCommitted(timeoutMs: 10_000)
        try KafkaTestIO.produce([bytes("r5")], to: "in", partition: 0, bootstrapServers: broker.bootstrapServers)
        var after: [Int64] = []
        let again = Date().addingTimeInterval(30)
        while after.isEmpty && Date() < again {
            try consumer.poll(into: batch, timeoutMs: 100)
            after += batch.map(\.offset)
        }
        #expect(after == [5])
    }

    /// What `tally route` uses on noida-db: the eager `range` assignor with static members
    /// (cooperative rebalances there are unreliable: docs/SCALE.md).
    @Test func twoStaticMembersSplitPartitionsAndARestartedMemberTakesItsPlaceAtOnce() throws {
        let broker = try BrokerProcess.start()
        defer { broker.stop() }
        try KafkaAdmin(config: broker.clientConfig).createTopic("split", partitions: 4)
        let all = Set((0..<4).map { KafkaPartitionID(topic: "split", partition: Int32($0)) })
        func member(_ name: String) throws -> KafkaGroupConsumer {
            try broker.staticMember(name, of: "pair", subscribedTo: "split", extra: ["max.poll.interval.ms": "10000"])
        }
        let batch = KafkaRecordBatch(capacity: 100)
        let a = try member("a")
        defer { a.close() }
        var deadline = Date().addingTimeInterval(30)
        while a.assignment != all && Date() < deadline { try a.poll(into: batch, timeoutMs: 100) }
        #expect(a.assignment == all, "a lone member owns every partition")

        func split(_ a: KafkaGroupConsumer, _ b: KafkaGroupConsumer) -> Bool {
            a.assignment.isDisjoint(with: b.assignment) && a.assignment.union(b.assignment) == all
                && a.assignment.count == 2 && b.assignment.count == 2
        }
        let b = try member("b")
        deadline = Date().addingTimeInterval(60)
        while !split(a, b) && Date() < deadline {
            try a.poll(into: batch, timeoutMs: 50)
            try b.poll(into: batch, timeoutMs: 50)
        }
        #expect(split(a, b), "balanced and disjoint: \(a.assignment) / \(b.assignment)")
        let ownedByB = b.assignment
        let rebalancesOfA = a.rebalances

        // A static member that stops and comes back under its name gets its partitions
        // again without a rebalance of the others (nor waiting for its session to expire).
        b.close()
        let b2 = try member("b")
        defer { b2.close() }
        deadline = Date().addingTimeInterval(30)
        while b2.assignment != ownedByB && Date() < deadline {
            try a.poll(into: batch, timeoutMs: 50)
            try b2.poll(into: batch, timeoutMs: 50)
        }
        #expect(b2.assignment == ownedByB, "the restarted member owns what it owned before")
        #expect(a.assignment == all.subtracting(ownedByB))
        #expect(a.rebalances == rebalancesOfA, "the other member was not disturbed")
    }
}
