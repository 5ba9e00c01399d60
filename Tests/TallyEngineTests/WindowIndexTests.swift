import Testing
import TallyCore
@testable import TallyEngine

/// The window index against `Dictionary` as the reference: the same answers after every
/// insert, update and removal, over keys that differ in one field at a time (as a rater's
/// windows do: one resource's hours, one hour's resources), so probe runs collide, wrap
/// around the end of the table and are cut by removals.
@Suite struct WindowIndexTests {
    typealias SplitMix = SampleKeyTableTests.SplitMix

    /// Keys alike but for one field, the all-zero key among them (the table's placeholder).
    static func keys(_ random: inout SplitMix) -> [WindowKey] {
        var keys: [WindowKey] = []
        for i in 0..<200 {
            keys.append(WindowKey(start: EventTime(micros: Int64(i) * 3_600_000_000), metric: Symbol(raw: 1),
                                  scope: Symbol(raw: 2), resource: Symbol(raw: 3), group: .none))
            keys.append(WindowKey(start: EventTime(micros: 0), metric: Symbol(raw: 1), scope: Symbol(raw: 2),
                                  resource: Symbol(raw: UInt32(i + 10)), group: Symbol(raw: UInt32(i % 3))))
            keys.append(WindowKey(start: EventTime(micros: Int64(truncatingIfNeeded: random.next())),
                                  metric: Symbol(raw: UInt32(truncatingIfNeeded: random.next() % 4)),
                                  scope: Symbol(raw: UInt32(truncatingIfNeeded: random.next())),
                                  resource: Symbol(raw: UInt32(truncatingIfNeeded: random.next())),
                                  group: .none))
        }
        keys.append(WindowKey(start: EventTime(micros: 0), metric: .none, scope: .none, resource: .none, group: .none))
        return keys
    }

    @Test(arguments: [1, 2, 3])
    func agreesWithADictionaryUnderRandomOperations(seed: UInt64) {
        var random = SplitMix(state: seed)
        let keys = WindowIndexTests.keys(&random)
        var index = WindowIndex()
        var reference: [WindowKey: Int] = [:]
        for step in 0..<20_000 {
            let key = keys[Int(random.next() % UInt64(keys.count))]
            if random.next() % 3 == 0 {
                index[key] = nil
                reference[key] = nil
            } else {
                index[key] = step
                reference[key] = step
            }
            #expect(index.count == reference.count)
        }
        for key in keys { #expect(index[key] == reference[key]) }
    }

    /// The new-window path (engine9): one probe, and on a miss the key inserted where it stopped,
    /// against the subscript's lookup then insert, under the same random inserts and removals.
    @Test(arguments: [11, 12, 13])
    func aMissedProbeInsertsWhereItsLookupStopped(seed: UInt64) {
        var random = SplitMix(state: seed)
        let keys = WindowIndexTests.keys(&random)
        var index = WindowIndex(), reference = WindowIndex()
        var expected: [WindowKey: Int] = [:]
        for step in 0..<20_000 {
            let key = keys[Int(random.next() % UInt64(keys.count))]
            if random.next() % 3 == 0 {
                index[key] = nil; reference[key] = nil; expected[key] = nil
            } else {
                let probe = index.probe(key)
                #expect(probe.found == (expected[key] != nil))
                if probe.found {
                    #expect(index.slot(at: probe) == expected[key])
                } else {
                    index.insert(key, slot: step, at: probe)
                    reference[key] = step; expected[key] = step
                }
            }
            #expect(index.count == expected.count && reference.count == expected.count)
        }
        for key in keys { #expect(index[key] == expected[key] && reference[key] == expected[key]) }
    }

    @Test func removingEveryThirdKeyKeepsTheOthersReachable() {
        var random = SplitMix(state: 7)
        let keys = WindowIndexTests.keys(&random)
        var index = WindowIndex()
        for (i, key) in keys.enumerated() { index[key] = i }
        #expect(index.count == keys.count)
        for (i, key) in keys.enumerated() where i % 3 == 0 { index[key] = nil }
        for (i, key) in keys.enumerated() { #expect(index[key] == (i % 3 == 0 ? nil : i)) }
        #expect(index.count == keys.count - (keys.count + 2) / 3)
    }
}

/// The generic table under the window index, with the values the close phase keeps in it
/// (last points, optional counter marks), against `Dictionary`.
@Suite struct WindowKeyTableTests {
    @Test(arguments: [4, 5])
    func agreesWithADictionaryIncludingRetainAndNilValues(seed: UInt64) {
        var random = WindowIndexTests.SplitMix(state: seed)
        let keys = WindowIndexTests.keys(&random)
        var table = WindowKeyTable<Int?>()
        var reference: [WindowKey: Int?] = [:]
        for step in 0..<20_000 {
            let key = keys[Int(random.next() % UInt64(keys.count))]
            switch random.next() % 5 {
            case 0:
                table[key] = nil
                reference[key] = nil
            case 1:
                // A stored nil (a cached "none stored") is an entry, not a removal.
                table[key] = .some(nil)
                reference.updateValue(nil, forKey: key)
            default:
                table[key] = .some(step)
                reference.updateValue(step, forKey: key)
            }
            #expect(table.count == reference.count)
            if step % 5000 == 4999 {
                table.retain { key, value in (value ?? 1) % 2 == 1 && key.start.micros % 3 != 0 }
                reference = reference.filter { (($0.value ?? 1) % 2 == 1) && $0.key.start.micros % 3 != 0 }
                #expect(table.count == reference.count)
            }
        }
        for key in keys { #expect(table[key] == reference[key]) }
        var visited: [WindowKey: Int?] = [:]
        table.forEach { key, value in visited.updateValue(value, forKey: key) }
        #expect(visited == reference)
        table.removeAll()
        #expect(table.count == 0)
        for key in keys { #expect(table[key] == nil) }
    }
}
