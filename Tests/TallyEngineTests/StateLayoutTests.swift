import Testing
import TallyCore
@testable import TallyEngine

/// The state's keys are its on-disk format: each is pinned here to its bytes as they were
/// written before `StateLayout` gathered them, and each decoder reads back what its encoder wrote.
@Suite struct StateLayoutTests {
    @Test func metaKeysAreTheirNames() {
        #expect(StateLayout.Meta.counters == Array("counters".utf8))
        #expect(StateLayout.Meta.outboxSequence == Array("outbox_sequence".utf8))
        #expect(StateLayout.Meta.globalClock == Array("global_clock".utf8))
        #expect(StateLayout.Meta.chainHead(2) == Array("chain_head/2".utf8))
        #expect(StateLayout.Meta.chainCount(11) == Array("chain_count/11".utf8))
        #expect(StateLayout.Meta.clock("tally.samples", 3) == Array("clock/tally.samples/3".utf8))
        #expect(StateLayout.Meta.correctionsNextOffset == Array("corrections/next_offset".utf8))
        #expect(StateLayout.Meta.correctionDone("r-1", 4) == Array("corrections/done/r-1/4".utf8))
    }

    @Test func offsetKeyIsTheLengthPrefixedTopicThenTheOffsetBinaryPartition() throws {
        let key = StateLayout.offsetKey("ab", 3)
        #expect(key == [0, 0, 0, 2, 0x61, 0x62, 0x80, 0, 0, 3])
        let decoded = try key.withUnsafeBytes { try StateLayout.offsetPartition(decoding: $0) }
        #expect(decoded.topic == "ab" && decoded.partition == 3)
        // Offset binary: negative partitions sort before positive ones.
        #expect(StateLayout.offsetKey("ab", Int32.min).lexicographicallyPrecedes(StateLayout.offsetKey("ab", 0)))
    }

    @Test func sequenceAndSymbolKeysAreBigEndian() throws {
        #expect(StateLayout.outboxKey(sequence: 0x0102) == [0, 0, 0, 0, 0, 0, 1, 2])
        var reused = StateLayout.outboxKey(sequence: 7)
        for sequence: UInt64 in [0, 0x0102, 0x0102_0304_0506_0708, .max] {
            StateLayout.setOutboxKey(&reused, sequence: sequence)
            #expect(reused == StateLayout.outboxKey(sequence: sequence))
        }
        #expect(StateLayout.dedupeKey(sequence: 7) == [0, 0, 0, 0, 0, 0, 0, 7])
        #expect(StateLayout.symbolKey(Symbol(raw: 0x0A0B)) == [0, 0, 0x0A, 0x0B])
        #expect(try ([0, 0, 0, 0, 0, 0, 1, 2] as [UInt8]).withUnsafeBytes { try StateLayout.sequence(decoding: $0, what: "t") } == 0x0102)
        #expect(try ([0, 0, 0x0A, 0x0B] as [UInt8]).withUnsafeBytes { try StateLayout.symbolID(decoding: $0) } == 0x0A0B)
    }

    @Test func seriesKeysLeaveTheStartOutAndTierKeysPutTheScopeFirst() throws {
        let key = WindowKey(start: EventTime(micros: 0x10), metric: Symbol(raw: 2), scope: Symbol(raw: 3),
                            resource: Symbol(raw: 4), group: Symbol(raw: 5))
        #expect(StateLayout.tierUsageKey(key) == [0, 0, 0, 3, 0, 0, 0, 2, 0x80, 0, 0, 0, 0, 0, 0, 0x10,
                                                  0, 0, 0, 4, 0, 0, 0, 5])
        #expect(try StateLayout.tierUsageKey(key).withUnsafeBytes { try StateLayout.tierUsageWindow(decoding: $0) } == key)
        #expect(StateLayout.counterMarkKey(key) == [0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5])
        let series = try StateLayout.counterMarkKey(key).withUnsafeBytes { try StateLayout.counterMarkSeries(decoding: $0) }
        #expect(series == CounterMarks.series(key))
        #expect(key.encoded == [0x80, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5])
    }

    @Test func aTruncatedKeyIsAnErrorNotAnotherKey() {
        #expect(throws: (any Error).self) { try ([0, 0, 1] as [UInt8]).withUnsafeBytes { try StateLayout.symbolID(decoding: $0) } }
        #expect(throws: (any Error).self) { try ([0, 0, 0, 9, 0x61] as [UInt8]).withUnsafeBytes { try StateLayout.offsetPartition(decoding: $0) } }
    }
}
