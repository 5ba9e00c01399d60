import Testing
import TallyCore
@testable import TallyEngine
import TallySeededRandom

/// The counter marks' one-probe paths (engine9: `mark(of:)` caches a store read where its probe
/// stopped; `note` compares the mark `mark(of:)` returned instead of looking the series up
/// again) against the lookups they replace, written out here as they were: the same marks
/// returned and the same records persisted, over random notes of a few series, some with
/// marks already in the store, with late (older) windows among them.
@Suite struct CounterMarksPathTests {
    /// `CounterMarks` before engine9, over a `Dictionary`: the reference.
    final class Reference {
        var cache: [WindowKey: CounterMarks.Mark?] = [:]
        var dirty: [WindowKey: CounterMarks.Mark] = [:]

        func mark(of key: WindowKey, store: StateStore) throws -> CounterMarks.Mark? {
            let s = CounterMarks.series(key)
            if let cached = cache[s] { return cached }
            let loaded = try store.read { txn in
                try txn.get(.counterMarks, StateLayout.counterMarkKey(s)).map { bytes in
                    try bytes.withUnsafeBytes { try CounterMarks.decode($0) }
                }
            }
            cache[s] = .some(loaded)
            return loaded
        }

        func note(_ key: WindowKey, last: SamplePoint, store: StateStore) throws {
            if let current = try mark(of: key, store: store), current.windowStart > key.start { return }
            let mark = CounterMarks.Mark(windowStart: key.start, point: last)
            let s = CounterMarks.series(key)
            guard cache[s] != .some(mark) else { return }
            cache[s] = .some(mark)
            dirty[s] = mark
        }

        func persist(into txn: StateTransaction) throws {
            for (s, mark) in dirty {
                try txn.put(.counterMarks, StateLayout.counterMarkKey(s), CounterMarks.encode(mark), append: false)
            }
            dirty.removeAll()
        }
    }

    @Test(arguments: [31, 32, 33])
    func notesAndMarksAgreeWithTheLookupsTheyReplace(seed: UInt64) throws {
        var random = SplitMix64(state: seed)
        let hour: Int64 = 3_600_000_000
        func point(_ start: Int64) -> SamplePoint {
            SamplePoint(time: EventTime(micros: start + Int64(random.next() % UInt64(hour))),
                        key: SampleKey(high: random.next() % 3, low: random.next() % 3),
                        value: ExactDecimal(coefficient: Int128(random.next() % 50), exponent: 0))
        }
        let shortcutStore = MemoryStateStore(), referenceStore = MemoryStateStore()
        // Marks already stored for some series (a restart), the same in both stores.
        for r in UInt32(1)...12 where r % 3 == 0 {
            let series = WindowKey(start: EventTime(micros: 0), metric: Symbol(raw: 1), scope: Symbol(raw: 2),
                                   resource: Symbol(raw: r), group: .none)
            let mark = CounterMarks.Mark(windowStart: EventTime(micros: 5 * hour), point: point(5 * hour))
            for store in [shortcutStore, referenceStore] {
                try store.write { try $0.put(.counterMarks, StateLayout.counterMarkKey(series), CounterMarks.encode(mark), append: false) }
            }
        }
        let shortcut = CounterMarks(), reference = Reference()
        for step in 0..<4_000 {
            let key = WindowKey(start: EventTime(micros: Int64(random.next() % 10) * hour), metric: Symbol(raw: 1),
                                scope: Symbol(raw: 2), resource: Symbol(raw: UInt32(1 + random.next() % 12)), group: .none)
            if random.next() % 3 == 0 {
                #expect(try shortcut.mark(of: key, store: shortcutStore) == reference.mark(of: key, store: referenceStore))
            } else {
                // Now and then the same point again (an unchanged mark: nothing to write).
                let last = random.next() % 4 == 0 ? (try reference.mark(of: key, store: referenceStore)?.point ?? point(key.start.micros))
                                                  : point(key.start.micros)
                try shortcut.note(key, last: last, store: shortcutStore)
                try reference.note(key, last: last, store: referenceStore)
            }
            if step % 500 == 499 {
                try shortcutStore.write { try shortcut.persist(into: $0) }
                try referenceStore.write { try reference.persist(into: $0) }
            }
        }
        try shortcutStore.write { try shortcut.persist(into: $0) }
        try referenceStore.write { try reference.persist(into: $0) }
        var written: [[UInt8]] = [], expected: [[UInt8]] = []
        try shortcutStore.read { txn in try txn.scan(.counterMarks, from: []) { k, v in written.append(Array(k) + Array(v)); return true } }
        try referenceStore.read { txn in try txn.scan(.counterMarks, from: []) { k, v in expected.append(Array(k) + Array(v)); return true } }
        #expect(written.count >= 12)
        #expect(written == expected)
    }
}
