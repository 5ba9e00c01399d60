import Testing
import TallyCore
@testable import TallyEngine
import TallySeededRandom

/// The fold's dedupe in one probe per key (engine9: `probe(id:)` and `probe(content:)`, then an
/// insert where each stopped) against the lookups then inserts it replaces (`firstCopy`,
/// `containsContent`, `insert`): the same answers for every sample and the same batch records,
/// through persists, expiries and keys of the earlier (bare) format, over key spaces small
/// enough that ids and contents repeat, the all-zero key among them.
@Suite struct DedupeProbeTests {
    typealias SplitMix = SplitMix64

    @Test(arguments: [(21, false), (22, false), (23, true), (24, true)])
    func probingOnceAgreesWithLookupThenInsert(seed: UInt64, bareKeys: Bool) throws {
        var random = SplitMix(state: seed)
        let ids = (0..<900).map { i in i == 0 ? SampleKey(high: 0, low: 0) : SampleKey(high: random.next(), low: random.next()) }
        let contents = (0..<700).map { i in i == 0 ? SampleKey(high: 0, low: 0) : SampleKey(high: random.next(), low: random.next()) }
        let shortcutStore = MemoryStateStore(), referenceStore = MemoryStateStore()
        var shortcut = DedupeIndex(), reference = DedupeIndex()
        if bareKeys {
            // A record of the first format (bare keys): content keys are then looked for among the ids too.
            var key = ByteWriter(capacity: 8), value = ByteWriter(capacity: 8 + 16 * 40)
            key.u64(1)
            value.i64(0)
            for i in 0..<40 { let k = i % 2 == 0 ? ids[i] : contents[i]; value.u64(k.high); value.u64(k.low) }
            for store in [shortcutStore, referenceStore] { try store.write { try $0.put(.dedupe, key.bytes, value.bytes, append: true) } }
            try shortcutStore.read { try shortcut.restore(from: $0) }
            try referenceStore.read { try reference.restore(from: $0) }
        }
        for step in 0..<30_000 {
            let id = ids[Int(random.next() % UInt64(ids.count))]
            let content = contents[Int(random.next() % UInt64(contents.count))]
            let time = EventTime(micros: Int64(step / 1_000) * 1_000_000)
            let first = DedupeIndex.FirstCopy(fingerprint: DedupeIndex.FirstCopy.fingerprint(content), topic: UInt16(step % 2),
                                              partition: Int32(random.next() % 3), offset: Int64(step))
            // Refused after the lookups (too late, no scope…): nothing is inserted.
            let refused = random.next() % 7 == 0
            // The reference: look up, then insert (each probing again).
            let referenceFirst = reference.firstCopy(id)
            let referenceSeen = referenceFirst == nil ? reference.containsContent(content) : false
            if referenceFirst == nil, !referenceSeen, !refused {
                let addedID = reference.insert(id, at: time, first: first)
                let addedContent = reference.insert(content: content, at: time)
                #expect(addedID && addedContent)
            }
            // The shortcut, as `foldSample` calls it.
            let idProbe = shortcut.probe(id: id)
            #expect(idProbe.first == referenceFirst)
            if idProbe.first == nil {
                let contentProbe = shortcut.probe(content: content)
                #expect(contentProbe.seen == referenceSeen)
                if !contentProbe.seen, !refused {
                    shortcut.insert(id, at: time, first: first, probe: idProbe)
                    shortcut.insert(content: content, at: time, probe: contentProbe)
                }
            }
            #expect(shortcut.count == reference.count)
            if step % 2_500 == 2_499 {
                // A commit: both write their batch record; now and then the older batches expire.
                let horizon = EventTime(micros: Int64(step / 1_000 - 8) * 1_000_000)
                let expires = random.next() % 2 == 0
                try shortcutStore.write { txn in
                    try shortcut.persist(into: txn)
                    if expires { try shortcut.expire(before: horizon, in: txn) }
                }
                try referenceStore.write { txn in
                    try reference.persist(into: txn)
                    if expires { try reference.expire(before: horizon, in: txn) }
                }
                #expect(shortcut.count == reference.count)
            }
        }
        try shortcutStore.write { try shortcut.persist(into: $0) }
        try referenceStore.write { try reference.persist(into: $0) }
        for key in ids + contents {
            #expect(shortcut.firstCopy(key) == reference.firstCopy(key))
            #expect(shortcut.containsContent(key) == reference.containsContent(key))
        }
        // The batch records, byte for byte.
        var written: [[UInt8]] = [], expected: [[UInt8]] = []
        try shortcutStore.read { txn in try txn.scan(.dedupe, from: []) { k, v in written.append(Array(k) + Array(v)); return true } }
        try referenceStore.read { txn in try txn.scan(.dedupe, from: []) { k, v in expected.append(Array(k) + Array(v)); return true } }
        #expect(written.count > 1)
        #expect(written == expected)
    }
}
