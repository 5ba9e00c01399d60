import Testing
import TallyCore
import TallyWire
@testable import TallyEngine

/// The pre-clock preview keeps what it decoded for `fold`: the record must come back
/// exactly as the decoder gave it (samples with their metadata, rejections in between,
/// in order), and only once.
@Suite struct PredecodedRecordsTests {
    static func sample(_ n: UInt64, _ metadata: UnsafeBufferPointer<MetaValue>) -> DecodedSample {
        DecodedSample(key: SampleKey(high: n, low: n), metric: Symbol(raw: 1), counterType: .gauge, unit: Symbol(raw: 2),
                      volume: ExactDecimal(Int(n)), timestamp: EventTime(micros: Int64(n) * 1_000_000),
                      project: Symbol(raw: 3), user: .none, resource: Symbol(raw: 4), metadata: metadata)
    }

    @Test func aKeptRecordReplaysItsSamplesAndRejectionsInOrderWithTheirMetadata() {
        var record = PredecodedRecords.Record()
        // The decoder reuses one metadata buffer: the record must copy the slots out.
        var buffer = [MetaValue](repeating: .absent, count: 2)
        for n in 1...2 {
            buffer[0] = MetaValue(kind: .string, text: Symbol(raw: UInt32(10 + n)))
            buffer[1] = MetaValue(kind: .int, text: Symbol(raw: UInt32(20 + n)))
            buffer.withUnsafeBufferPointer { record.append(Self.sample(UInt64(n), $0)) }
            if n == 1 { record.events.append(.rejection(SampleRejection(reason: .negativeVolume, sampleIndex: 1, detail: "bad volume"))) }
        }
        var kept = PredecodedRecords()
        let p0 = StreamRater.PartitionID(topic: 0, partition: 0)
        kept.keep(record, partition: p0, offset: 0)
        var seen: [String] = []
        if let taken = kept.take(partition: p0, offset: 0) {
            kept.replay(taken, emit: { sample in
                seen.append("sample \(sample.key.high) meta \(sample.metadata.map(\.text.raw))")
            }, reject: { rejection in
                seen.append("rejection \(rejection.sampleIndex) \(rejection.detail)")
            })
        }
        #expect(seen == ["sample 1 meta [11, 21]", "rejection 1 bad volume", "sample 2 meta [12, 22]"])
    }

    @Test func aRecordIsTakenOnceAndOnlyFromItsPartitionAndOffset() {
        var kept = PredecodedRecords()
        let p0 = StreamRater.PartitionID(topic: 0, partition: 0), p1 = StreamRater.PartitionID(topic: 0, partition: 1)
        kept.keep(PredecodedRecords.Record(error: RecordDecodeError(reason: .malformedJSON, detail: "x")), partition: p0, offset: 7)
        #expect(kept.take(partition: p1, offset: 7) == nil)
        #expect(kept.take(partition: p0, offset: 6) == nil)
        #expect(kept.take(partition: p0, offset: 7)?.error?.detail == "x")
        #expect(kept.take(partition: p0, offset: 7) == nil)
    }

    @Test func recordsFoldSkippedAreForgottenWhenALaterOneIsTaken() {
        var kept = PredecodedRecords()
        let p0 = StreamRater.PartitionID(topic: 0, partition: 0)
        for offset in [7, 8, 9] as [Int64] {
            kept.keep(PredecodedRecords.Record(error: RecordDecodeError(reason: .malformedJSON, detail: "\(offset)")),
                      partition: p0, offset: offset)
        }
        #expect(kept.take(partition: p0, offset: 8)?.error?.detail == "8")
        #expect(kept.take(partition: p0, offset: 7) == nil)
        #expect(kept.take(partition: p0, offset: 9)?.error?.detail == "9")
    }

    @Test func keptRecordsShareTheirQueueAndEachReplaysOnlyItsOwnEvents() {
        var kept = PredecodedRecords()
        let p0 = StreamRater.PartitionID(topic: 0, partition: 0)
        // One record builder reused for every record, as the preview does.
        var record = PredecodedRecords.Record()
        var buffer = [MetaValue](repeating: .absent, count: 1)
        for offset in [3, 4, 5] as [Int64] {
            record.removeAll()
            for n in 0..<(offset == 4 ? 2 : 1) {
                buffer[0] = MetaValue(kind: .string, text: Symbol(raw: UInt32(offset * 10) + UInt32(n)))
                buffer.withUnsafeBufferPointer { record.append(Self.sample(UInt64(offset * 10) + UInt64(n), $0)) }
            }
            if offset == 5 { record.events.append(.rejection(SampleRejection(reason: .negativeVolume, sampleIndex: 1, detail: "five"))) }
            kept.keep(record, partition: p0, offset: offset)
        }
        func replayed(_ offset: Int64) -> [String]? {
            guard let taken = kept.take(partition: p0, offset: offset) else { return nil }
            var seen: [String] = []
            kept.replay(taken, emit: { seen.append("sample \($0.key.high) meta \($0.metadata.map(\.text.raw))") },
                        reject: { seen.append("rejection \($0.detail)") })
            return seen
        }
        #expect(replayed(4) == ["sample 40 meta [40]", "sample 41 meta [41]"])
        #expect(replayed(5) == ["sample 50 meta [50]", "rejection five"])
        #expect(replayed(3) == nil)  // passed over when 4 was taken
        #expect(kept.take(partition: p0, offset: 5) == nil)
    }
}
