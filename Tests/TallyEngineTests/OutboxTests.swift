import Testing
import TallyCore
@testable import TallyEngine

/// The record collector on its own, over a memory store: numbering across restarts, what a
/// commit writes and hands out, acknowledged entries deleted by the next commit, the rest
/// sent again after a crash, and the chains' heads and counts.
@Suite struct OutboxTests {
    static func entry(_ n: Int, kind: OutboxEntry.Kind = .frame, partition: Int32 = 0) -> OutboxEntry {
        OutboxEntry(kind: kind, topic: kind == .frame ? "tally.frames" : "tally.deadletters", partition: partition,
                    key: Array("k\(n)".utf8), value: Array("value \(n)".utf8))
    }

    /// Runs what `commitBatch` does with the outbox: persist in one transaction, then hand out.
    static func commit(_ outbox: inout Outbox, _ store: MemoryStateStore) throws -> [OutgoingMessage] {
        try store.write { txn in try outbox.persist(into: txn) }
        return outbox.committed()
    }

    @Test func aCommitHandsOutTheBatchInOrderAndNothingTwice() throws {
        let store = MemoryStateStore()
        var outbox = Outbox(framesPartitions: 2)
        outbox.enqueue(OutboxTests.entry(1))
        outbox.enqueue(OutboxTests.entry(2, kind: .deadLetter))
        #expect(outbox.unacknowledged == 2)
        let sent = try OutboxTests.commit(&outbox, store)
        #expect(sent.map(\.token) == [1, 2])
        #expect(sent.map(\.value) == [Array("value 1".utf8), Array("value 2".utf8)])
        #expect(sent[1].topic == "tally.deadletters")
        #expect(try OutboxTests.commit(&outbox, store).isEmpty)
    }

    @Test func unacknowledgedEntriesComeBackAfterARestartAndAcknowledgedOnesDoNot() throws {
        let store = MemoryStateStore()
        var outbox = Outbox(framesPartitions: 1)
        for n in 1...3 { outbox.enqueue(OutboxTests.entry(n)) }
        let sent = try OutboxTests.commit(&outbox, store)
        outbox.acknowledge(sent[1].token)
        #expect(outbox.unacknowledged == 2)
        // The acknowledgement is only durable with the next commit: a crash before it resends all three.
        var crashed = Outbox(framesPartitions: 1)
        #expect(try store.read { try crashed.restore(from: $0) }.map(\.token) == [1, 2, 3])
        _ = try OutboxTests.commit(&outbox, store)
        var restarted = Outbox(framesPartitions: 1)
        let resent = try store.read { try restarted.restore(from: $0) }
        #expect(resent.map(\.token) == [1, 3])
        #expect(resent.map(\.value) == [sent[0].value, sent[2].value])
        #expect(restarted.unacknowledged == 2)
        // Numbers continue after the stored sequence: a new entry never reuses a token.
        restarted.enqueue(OutboxTests.entry(4))
        #expect(try OutboxTests.commit(&restarted, store).map(\.token) == [4])
    }

    @Test func chainHeadsAreStoredWithTheBatchAndCountsAddTheBatchsFrames() throws {
        let store = MemoryStateStore()
        var outbox = Outbox(framesPartitions: 3)
        #expect(try outbox.chainCounts(in: store) == [0, 0, 0])
        outbox.chainHeads[1] = "aa"
        outbox.enqueue(OutboxTests.entry(1, partition: 1))
        outbox.enqueue(OutboxTests.entry(2, partition: 1))
        outbox.enqueue(OutboxTests.entry(3, kind: .deadLetter, partition: 2))
        #expect(outbox.countPendingFrames(on: "tally.frames") == [0, 2, 0])
        #expect(outbox.countPendingFrames(on: "other.frames") == nil)
        _ = try OutboxTests.commit(&outbox, store)
        var restarted = Outbox(framesPartitions: 3)
        _ = try store.read { try restarted.restore(from: $0) }
        #expect(restarted.chainHeads == ["", "aa", ""])
        // Counts are written by the checkpoint (not here): a partition with a head and no
        // stored count is unknown (-1), one without frames 0.
        #expect(try restarted.chainCounts(in: store) == [0, -1, 0])
    }
}
