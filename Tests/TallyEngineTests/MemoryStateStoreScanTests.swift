import Testing
import TallyEngine
import TallySeededRandom

/// The memory store's scans keep LMDB's contract (keys in byte order, from a start key)
/// while its key order is maintained incrementally: random puts, deletes, rolled-back
/// transactions and scans with and without a start key are compared with a plain model.
@Suite struct MemoryStateStoreScanTests {
    struct Rollback: Error {}

    /// A seeded generator, so a failure replays the same steps.
    typealias Steps = SplitMix64

    @Test func scansMatchASortedModelThroughPutsDeletesAndRollbacks() throws {
        let store = MemoryStateStore()
        var model: [[UInt8]: [UInt8]] = [:]
        var steps = Steps(state: 0x9E37_79B9_7F4A_7C15)
        // Keys of 1–3 bytes from a small alphabet, so prefixes, re-inserts and deletes of
        // keys just inserted all happen often.
        func key() -> [UInt8] { (0...steps.next(3)).map { _ in UInt8(steps.next(5)) } }
        for round in 0..<400 {
            let rollBack = steps.next(5) == 0
            var staged = model
            do {
                try store.write { txn in
                    for _ in 0..<(1 + steps.next(6)) {
                        let k = key()
                        if steps.next(3) == 0 {
                            try txn.delete(.windows, k); staged[k] = nil
                        } else {
                            let v = [UInt8(round & 0xFF)]
                            try txn.put(.windows, k, v, append: false); staged[k] = v
                        }
                    }
                    if rollBack { throw Rollback() }
                }
                model = staged
            } catch is Rollback {}

            let from = steps.next(2) == 0 ? [] : key()
            let expected = model.filter { !$0.key.lexicographicallyPrecedes(from) }
                .sorted { $0.key.lexicographicallyPrecedes($1.key) }
            let seen = try store.write { txn in
                var seen: [([UInt8], [UInt8])] = []
                try txn.scan(.windows, from: from) { k, v in seen.append((Array(k), Array(v))); return true }
                return seen
            }
            #expect(seen.map(\.0) == expected.map(\.key), "round \(round): keys in order from \(from)")
            #expect(seen.map(\.1) == expected.map(\.value), "round \(round): values")
            let snapshot = try store.read { txn in
                var keys: [[UInt8]] = []
                try txn.scan(.windows, from: from) { k, _ in keys.append(Array(k)); return true }
                return keys
            }
            #expect(snapshot == expected.map(\.key), "round \(round): a read sees the same")
        }
    }

    @Test func aScanStopsWhenTheBodySaysSoAndSeesTheEntriesAsTheyWereWhenItBegan() throws {
        let store = MemoryStateStore()
        try store.write { txn in for i in 0..<10 { try txn.put(.windows, [UInt8(i)], [UInt8(i)], append: true) } }
        let visited = try store.write { txn in
            var visited: [UInt8] = []
            try txn.scan(.windows, from: [3]) { k, _ in
                visited.append(k[0])
                try txn.delete(.windows, [k[0] + 1])  // the scan began before this
                return visited.count < 4
            }
            return visited
        }
        #expect(visited == [3, 4, 5, 6])
        let left = try store.read { txn in
            var keys: [UInt8] = []
            try txn.scan(.windows, from: []) { k, _ in keys.append(k[0]); return true }
            return keys
        }
        #expect(left == [0, 1, 2, 3, 8, 9])
    }

    /// Keys up to 32 bytes are held inline and longer ones as bytes: keys on both sides of
    /// that length, sharing prefixes and ending in zero bytes, still come out in byte order
    /// and are found, replaced and deleted as themselves.
    @Test func keysAroundTheInlineLengthKeepByteOrderAndIdentity() throws {
        let store = MemoryStateStore()
        var model: [[UInt8]: [UInt8]] = [:]
        var steps = Steps(state: 0x2545_F491_4F6C_DD1D)
        func key() -> [UInt8] {
            let prefix = [UInt8](repeating: UInt8(steps.next(2)), count: 28 + steps.next(4))
            return prefix + (0..<steps.next(7)).map { _ in UInt8([0, 1, 0xFF][steps.next(3)]) }
        }
        for round in 0..<300 {
            try store.write { txn in
                let k = key()
                if steps.next(4) == 0 {
                    try txn.delete(.meta, k); model[k] = nil
                } else {
                    try txn.put(.meta, k, [UInt8(round & 0xFF)], append: false); model[k] = [UInt8(round & 0xFF)]
                }
            }
        }
        let probe = key()
        #expect(try store.read { try $0.get(.meta, probe) } == model[probe])
        for from in [[], key(), key()] {
            let expected = model.keys.filter { !$0.lexicographicallyPrecedes(from) }.sorted { $0.lexicographicallyPrecedes($1) }
            let seen = try store.read { txn in
                var keys: [[UInt8]] = []
                try txn.scan(.meta, from: from) { k, v in
                    keys.append(Array(k))
                    #expect(Array(v) == model[Array(k)])
                    return true
                }
                return keys
            }
            #expect(seen == expected, "from \(from.count) bytes")
        }
        #expect(store.sizeOnDisk == model.reduce(0) { $0 + $1.key.count + $1.value.count })
    }

    /// A store that keeps no undo log (`rollsBackFailedWrites: false`, for `tally rate`) holds
    /// what the rolling-back store holds after the same committed transactions: random puts,
    /// overwrites and deletes in a write, then gets and scans of every table, both ways.
    @Test func aStoreWithoutAnUndoLogHoldsWhatTheRollingBackStoreHolds() throws {
        let general = MemoryStateStore(), unlogged = MemoryStateStore(rollsBackFailedWrites: false)
        var steps = Steps(state: 0x5DEE_CE66_D1CE_4E5B)
        func key() -> [UInt8] { (0...steps.next(3)).map { _ in UInt8(steps.next(5)) } }
        for round in 0..<300 {
            let changes = (0..<(1 + steps.next(8))).map { _ in
                (table: StateTable.allCases[steps.next(StateTable.allCases.count)], key: key(), delete: steps.next(3) == 0,
                 value: (0..<steps.next(40)).map { _ in UInt8(truncatingIfNeeded: round &+ steps.next(256)) })
            }
            for store in [general, unlogged] {
                try store.write { txn in
                    for c in changes {
                        if c.delete { try txn.delete(c.table, c.key) } else { try txn.put(c.table, c.key, c.value, append: false) }
                    }
                }
            }
            let table = StateTable.allCases[steps.next(StateTable.allCases.count)], from = steps.next(2) == 0 ? [] : key()
            func contents(_ store: MemoryStateStore) throws -> [[UInt8]] {
                try store.read { txn in
                    var seen: [[UInt8]] = []
                    try txn.scan(table, from: from) { k, v in seen.append(Array(k)); seen.append(Array(v)); return true }
                    return seen
                }
            }
            #expect(try contents(unlogged) == contents(general), "round \(round): \(table.name) from \(from)")
            let probe = key()
            #expect(try unlogged.read { try $0.get(table, probe) } == general.read { try $0.get(table, probe) }, "round \(round)")
        }
    }
}
