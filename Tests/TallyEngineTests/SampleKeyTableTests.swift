import Testing
import TallyCore
@testable import TallyEngine
import TallySeededRandom

/// The dedupe index's hash table against `Dictionary` as the reference: the same
/// answers after every insert, update and removal, over a key space small enough that
/// probe runs collide, wrap around the end of the table and are cut by removals.
@Suite struct SampleKeyTableTests {
    typealias SplitMix = SplitMix64

    @Test(arguments: [1, 2, 3])
    func agreesWithADictionaryUnderRandomOperations(seed: UInt64) {
        var random = SplitMix(state: seed)
        var table = SampleKeyTable(filler: Int64(-1))
        var reference: [SampleKey: Int64] = [:]
        // 600 distinct keys, the all-zero key among them (it marks a free slot inside).
        let keys = (0..<600).map { i in i == 0 ? SampleKey(high: 0, low: 0) : SampleKey(high: random.next(), low: random.next()) }
        for step in 0..<20_000 {
            let key = keys[Int(random.next() % UInt64(keys.count))]
            switch random.next() % 4 {
            case 0:
                let added = table.insertIfAbsent(key, Int64(step))
                #expect(added == (reference[key] == nil))
                if reference[key] == nil { reference[key] = Int64(step) }
            case 1:
                let replaced = table.updateValue(Int64(step), forKey: key)
                let previous = reference.updateValue(Int64(step), forKey: key)
                #expect(replaced == previous)
            default:
                table.remove(key)
                reference[key] = nil
            }
            #expect(table.count == reference.count)
        }
        for key in keys {
            #expect(table[key] == reference[key])
            #expect(table.contains(key) == (reference[key] != nil))
        }
    }

    /// The dedupe index's one-probe path (engine9): a probe, its value if found, else an insert
    /// where it stopped, against `Dictionary`, under random inserts and removals (the zero key too).
    @Test(arguments: [4, 5, 6])
    func aProbeThenInsertAgreesWithADictionary(seed: UInt64) {
        var random = SplitMix(state: seed)
        var table = SampleKeyTable(filler: Int64(-1))
        var reference: [SampleKey: Int64] = [:]
        let keys = (0..<600).map { i in i == 0 ? SampleKey(high: 0, low: 0) : SampleKey(high: random.next(), low: random.next()) }
        for step in 0..<20_000 {
            let key = keys[Int(random.next() % UInt64(keys.count))]
            if random.next() % 4 == 0 {
                table.remove(key); reference[key] = nil
            } else {
                let probe = table.probe(key)
                #expect(probe.found == (reference[key] != nil))
                if probe.found {
                    #expect(table.value(at: probe) == reference[key])
                } else if random.next() % 5 != 0 {  // sometimes the sample is refused: no insert
                    table.insert(key, Int64(step), at: probe)
                    reference[key] = Int64(step)
                }
            }
            #expect(table.count == reference.count)
        }
        for key in keys { #expect(table[key] == reference[key]) }
    }

    @Test func removingFromAFullRunKeepsEveryOtherKeyReachable() {
        var table = SampleKeyTable(filler: ())
        // Many keys in a table that grows from 16 slots: long runs form and wrap.
        let keys = (1...1_000).map { SampleKey(high: UInt64($0), low: UInt64($0) &* 7) }
        for key in keys {
            let added = table.insertIfAbsent(key, ())
            #expect(added)
        }
        for key in keys where key.high % 3 == 0 { table.remove(key) }
        for key in keys { #expect(table.contains(key) == (key.high % 3 != 0)) }
        #expect(table.count == keys.count - keys.count / 3)
    }
}
