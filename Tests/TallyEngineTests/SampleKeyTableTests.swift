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
