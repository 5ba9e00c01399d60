import Foundation
import Testing
import TallyEngine
import TallyKafka
import TallyTestSupport
@testable import TallyRater

/// The pieces of group mode's state movement (docs/SCALE.md) on real LMDB files: what a
/// task's store captures for the changelog, and restoring a cache from the changelog
/// partition of a real broker whatever its stamp says.
@Suite(.serialized) struct ChangelogRestoreTests {
    private static func temporaryStore() throws -> (LMDBStateStore, String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tally-changelog-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return (try LMDBStateStore(path: path, mapSizeMiB: 64), path)
    }

    private static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    /// LMDB's reserving put (`MDB_RESERVE`): the value is written in the page and reads back;
    /// through a task's store the outbox entry is captured as the same bytes, not stored.
    @Test func aReservingPutWritesInPlaceAndATaskStoreCapturesIt() throws {
        let (lmdb, path) = try Self.temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let value: [UInt8] = (0..<3_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        try lmdb.write { txn in
            try txn.put(.outbox, [0, 1], count: value.count, append: true) { buffer in
                value.withUnsafeBytes { buffer.copyMemory(from: $0) }
            }
        }
        #expect(try lmdb.read { try $0.get(.outbox, [0, 1]) } == value)
        let store = ChangelogStateStore(inner: lmdb)
        var captured: [ChangelogBatch] = []
        store.beforeCommit = { batch, _ in captured.append(batch) }
        try store.write { txn in
            try txn.put(.outbox, [0, 2], count: 2, append: true) { $0[0] = 7; $0[1] = 8 }
            try txn.put(.windows, [9], count: 1, append: false) { $0[0] = 6 }
        }
        try #require(captured.count == 1)
        #expect(captured[0].outbox == [[7, 8]])
        #expect(captured[0].changes.map(\.value) == [[6]])
        #expect(try lmdb.read { try $0.get(.outbox, [0, 2]) } == nil)
    }

    @Test func aTaskStoreCapturesEveryChangeButTheOutboxAndUnchangedMeta() throws {
        let (lmdb, path) = try Self.temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try lmdb.write { try $0.put(.meta, Self.bytes("counters"), [1], append: false) }
        let store = ChangelogStateStore(inner: lmdb)
        var captured: [ChangelogBatch] = []
        store.beforeCommit = { batch, raw in
            captured.append(batch)
            try raw.put(.meta, ChangelogRecord.stampKey, ChangelogRestore.encode(7), append: false)
        }
        try store.write { txn in
            try txn.put(.meta, Self.bytes("counters"), [1], append: false)  // unchanged: no record
            try txn.put(.meta, Self.bytes("clock"), [2], append: false)
            try txn.put(.windows, [9, 9], [3, 3], append: false)
            try txn.delete(.dedupe, [4])
            try txn.put(.outbox, [0, 0, 0, 1], [5], append: true)
            try txn.delete(.outbox, [0, 0, 0, 0])
        }
        try #require(captured.count == 1)
        let changes = captured[0].changes.map { "\($0.table.name) \($0.key) \($0.value.map { "\($0)" } ?? "delete")" }
        #expect(changes == ["meta \(Self.bytes("clock")) [2]", "windows [9, 9] [3, 3]", "dedupe [4] delete"])
        #expect(captured[0].outbox == [[5]])
        try lmdb.read { (txn: StateTransaction) throws in
            #expect(try txn.get(.outbox, [0, 0, 0, 1]) == nil, "the outbox goes into the Kafka transaction, not LMDB")
            #expect(try txn.get(.windows, [9, 9]) == [3, 3])
            #expect(try txn.get(.meta, ChangelogRecord.stampKey) == ChangelogRestore.encode(7))
        }
        // A batch that changed nothing needs no transaction.
        try store.write { txn in try txn.put(.meta, Self.bytes("clock"), [2], append: false) }
        #expect(captured.count == 1)
        // A failing transaction leaves LMDB as it was.
        store.beforeCommit = { _, _ in throw KafkaTransactionError(kind: .abortable, underlying: KafkaError(code: -1, message: "x", context: "test")) }
        #expect(throws: KafkaTransactionError.self) { try store.write { txn in try txn.put(.windows, [9, 9], [4], append: false) } }
        try lmdb.read { (txn: StateTransaction) throws in #expect(try txn.get(.windows, [9, 9]) == [3, 3]) }
    }

    /// The changelog: five changes at offsets 0–4 (a put overwritten, a put deleted, an
    /// empty value), then three caches restored from it: none, a stale stamp, a stamp beyond the end.
    @Test func restoreBringsAnyCacheToTheChangelogsEnd() throws {
        let broker = try BrokerProcess.start()
        defer { broker.stop() }
        let admin = try KafkaAdmin(config: broker.clientConfig)
        _ = try admin.createTopic("tally.state", partitions: 2, config: ["cleanup.policy": "compact"])
        let changes: [(StateTable, [UInt8], [UInt8]?)] = [
            (.meta, Self.bytes("a"), [1]), (.windows, [7], [70]), (.meta, Self.bytes("a"), [2]), (.windows, [7], nil),
            (.symbols, [0, 0, 0, 1], []),
        ]
        let producer = try KafkaProducer(config: broker.clientConfig)
        let topic = try producer.topic("tally.state")
        for (i, change) in changes.enumerated() {
            let key = ChangelogRecord.key(change.0, change.1)
            try key.withUnsafeBytes { k in
                if let value = change.2 {
                    try ChangelogRecord.value(value).withUnsafeBytes {
                        try producer.produce(to: topic, partition: 1, key: k, value: $0, token: UInt64(i))
                    }
                } else {
                    try producer.produce(to: topic, partition: 1, key: k, value: UnsafeRawBufferPointer(start: nil, count: 0), token: UInt64(i))
                }
            }
            try producer.flush(timeoutMs: 30_000) { #expect($0.error == nil && $0.offset == Int64(i)) }
        }
        let restore = ChangelogRestore(kafka: broker.clientConfig, topic: "tally.state", partition: 1)
        func expectFinalState(_ store: LMDBStateStore) throws {
            try store.read { (txn: StateTransaction) throws in
                #expect(try txn.get(.meta, Self.bytes("a")) == [2])
                #expect(try txn.get(.windows, [7]) == nil)
                #expect(try txn.get(.symbols, [0, 0, 0, 1]) == [], "an empty value is a value, not a delete")
                #expect(try txn.get(.meta, Self.bytes("junk")) == nil)
            }
            #expect(try ChangelogRestore.stamp(of: store) == 4)
        }

        let (empty, p1) = try Self.temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: p1) }
        let fromNothing = try restore.run(into: empty)
        #expect(fromNothing.applied == 5 && fromNothing.stampBefore == nil && !fromNothing.wiped)
        try expectFinalState(empty)

        // A cache that includes offsets 0 and 1 only (a crash after the Kafka commit of the
        // next batch, before the LMDB commit): only 2–4 are read.
        let (stale, p2) = try Self.temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: p2) }
        try stale.write { txn in
            try txn.put(.meta, Self.bytes("a"), [1], append: false)
            try txn.put(.windows, [7], [70], append: false)
            try txn.put(.meta, ChangelogRecord.stampKey, ChangelogRestore.encode(1), append: false)
        }
        let fromStale = try restore.run(into: stale)
        #expect(fromStale.applied == 3 && fromStale.stampBefore == 1 && !fromStale.wiped)
        try expectFinalState(stale)

        // Current already: nothing to read.
        let again = try restore.run(into: stale)
        #expect(again.applied == 0 && again.stampBefore == 4)
        try expectFinalState(stale)

        // A stamp beyond the end (the topic was recreated): the cache is wiped and rebuilt.
        let (beyond, p3) = try Self.temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: p3) }
        try beyond.write { txn in
            try txn.put(.meta, Self.bytes("junk"), [9], append: false)
            try txn.put(.meta, ChangelogRecord.stampKey, ChangelogRestore.encode(100), append: false)
        }
        let fromBeyond = try restore.run(into: beyond)
        #expect(fromBeyond.applied == 5 && fromBeyond.wiped)
        try expectFinalState(beyond)
    }
}
