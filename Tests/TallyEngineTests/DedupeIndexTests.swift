import Testing
import TallyCore
import TallyEngine

/// The dedupe index keeps each id's first copy (content fingerprint, coordinates) through
/// persist and restore, keeps content keys apart, expires both, and still reads the
/// records of the earlier format (bare keys).
@Suite struct DedupeIndexTests {
    static let id = SampleKey(high: 1, low: 2), content = SampleKey(high: 3, low: 4)
    static let at = EventTime(micros: 1_000_000)

    @Test func firstCopiesSurviveARestartAndExpire() throws {
        let store = MemoryStateStore()
        var index = DedupeIndex()
        let first = DedupeIndex.FirstCopy(fingerprint: DedupeIndex.FirstCopy.fingerprint(SampleKey(high: 9, low: 10)),
                                          topic: 1, partition: 7, offset: 12_345_678_901)
        let added = index.insert(Self.id, at: Self.at, first: first)
        let again = index.insert(Self.id, at: Self.at, first: first)
        let content = index.insert(content: Self.content, at: Self.at)
        #expect(added && !again && content)
        try store.write { try index.persist(into: $0) }

        var restored = DedupeIndex()
        try store.read { try restored.restore(from: $0) }
        #expect(restored.firstCopy(Self.id) == first)
        #expect(restored.contains(Self.content) && restored.firstCopy(Self.content) == nil)
        // Ids and content keys are kept apart: a content key is looked for among content keys only.
        #expect(restored.containsContent(Self.content) && !restored.containsContent(Self.id))
        #expect(restored.count == 2)
        try store.write { try restored.expire(before: Self.at + TimeSpan(micros: 1), in: $0) }
        #expect(!restored.contains(Self.id) && !restored.contains(Self.content))
    }

    @Test func recordsOfTheEarlierFormatAreReadAsIdsOfUnknownContent() throws {
        let store = MemoryStateStore()
        var key = ByteWriter(capacity: 8), value = ByteWriter(capacity: 40)
        key.u64(1)
        value.i64(Self.at.micros); value.u64(Self.id.high); value.u64(Self.id.low); value.u64(Self.content.high); value.u64(Self.content.low)
        try store.write { try $0.put(.dedupe, key.bytes, value.bytes, append: true) }
        var restored = DedupeIndex()
        try store.read { try restored.restore(from: $0) }
        #expect(restored.contains(Self.id) && restored.contains(Self.content))
        // A bare key may have been a content key: the content check still finds it.
        #expect(restored.containsContent(Self.content) && restored.containsContent(Self.id))
        #expect(restored.firstCopy(Self.id)?.fingerprint == 0)  // unknown: a later copy is a plain duplicate
    }
}
