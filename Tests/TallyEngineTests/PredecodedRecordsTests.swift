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
        var kept = PredecodedRecords()
        let p0 = StreamRater.PartitionID(topic: 0, partition: 0)
        kept.keep(partition: p0, offset: 0) { queue in
            // The decoder reuses one metadata buffer: the queue must copy the slots out.
            var buffer = [MetaValue](repeating: .absent, count: 2)
            for n in 1...2 {
                buffer[0] = MetaValue(kind: .string, text: Symbol(raw: UInt32(10 + n)))
                buffer[1] = MetaValue(kind: .int, text: Symbol(raw: UInt32(20 + n)))
                buffer.withUnsafeBufferPointer { queue.append(Self.sample(UInt64(n), $0)) }
                if n == 1 { queue.append(SampleRejection(reason: .negativeVolume, sampleIndex: 1, detail: "bad volume")) }
            }
            return nil
        }
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
        kept.keep(partition: p0, offset: 7) { _ in RecordDecodeError(reason: .malformedJSON, detail: "x") }
        #expect(kept.take(partition: p1, offset: 7) == nil)
        #expect(kept.take(partition: p0, offset: 6) == nil)
        #expect(kept.take(partition: p0, offset: 7)?.error?.detail == "x")
        #expect(kept.take(partition: p0, offset: 7) == nil)
    }

    @Test func recordsFoldSkippedAreForgottenWhenALaterOneIsTaken() {
        var kept = PredecodedRecords()
        let p0 = StreamRater.PartitionID(topic: 0, partition: 0)
        for offset in [7, 8, 9] as [Int64] {
            kept.keep(partition: p0, offset: offset) { _ in RecordDecodeError(reason: .malformedJSON, detail: "\(offset)") }
        }
        #expect(kept.take(partition: p0, offset: 8)?.error?.detail == "8")
        #expect(kept.take(partition: p0, offset: 7) == nil)
        #expect(kept.take(partition: p0, offset: 9)?.error?.detail == "9")
    }

    @Test func keptRecordsShareTheirQueueAndEachReplaysOnlyItsOwnEvents() {
        var kept = PredecodedRecords()
        let p0 = StreamRater.PartitionID(topic: 0, partition: 0)
        var buffer = [MetaValue](repeating: .absent, count: 1)
        for offset in [3, 4, 5] as [Int64] {
            kept.keep(partition: p0, offset: offset) { queue in
                for n in 0..<(offset == 4 ? 2 : 1) {
                    buffer[0] = MetaValue(kind: .string, text: Symbol(raw: UInt32(offset * 10) + UInt32(n)))
                    buffer.withUnsafeBufferPointer { queue.append(Self.sample(UInt64(offset * 10) + UInt64(n), $0)) }
                }
                if offset == 5 { queue.append(SampleRejection(reason: .negativeVolume, sampleIndex: 1, detail: "five")) }
                return nil
            }
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

    @Test func aRecordThatFailsKeepsOnlyItsErrorAndTheNextRecordOnlyItsOwnEvents() {
        var kept = PredecodedRecords()
        let p0 = StreamRater.PartitionID(topic: 0, partition: 0), p1 = StreamRater.PartitionID(topic: 0, partition: 1)
        let none = [MetaValue]()
        none.withUnsafeBufferPointer { meta in
            kept.keep(partition: p0, offset: 1) { queue in
                queue.append(Self.sample(1, meta))
                queue.append(SampleRejection(reason: .negativeVolume, sampleIndex: 1, detail: "one"))
                return RecordDecodeError(reason: .malformedJSON, detail: "broken after two events")
            }
            kept.keep(partition: p1, offset: 1) { queue in queue.append(Self.sample(11, meta)); return nil }
            kept.keep(partition: p0, offset: 2) { queue in queue.append(Self.sample(2, meta)); return nil }
        }
        func replayed(_ partition: StreamRater.PartitionID, _ offset: Int64) -> [String]? {
            guard let taken = kept.take(partition: partition, offset: offset) else { return nil }
            var seen: [String] = taken.error.map { ["error \($0.detail)"] } ?? []
            kept.replay(taken, emit: { seen.append("sample \($0.key.high)") }, reject: { seen.append("rejection \($0.detail)") })
            return seen
        }
        #expect(replayed(p0, 1) == ["error broken after two events"])
        #expect(replayed(p1, 1) == ["sample 11"])
        #expect(replayed(p0, 2) == ["sample 2"])
    }
}
