import Testing
@testable import TallyLMDB

/// A write cursor kept across a transaction's puts and deletes (what the rater's state store
/// does with every table) leaves the database exactly as plain puts and deletes would: in
/// key order, out of order, appended, reserved, mixed with plain puts on the same database,
/// across page splits and merges, and nothing of it after an abort.
@Suite struct LMDBWriteCursorTests {
    /// A deterministic generator (the tests must fail the same way every run).
    struct Mix {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    private func value(_ n: Int, round: Int) -> [UInt8] {
        // 60–400 bytes: enough entries per batch to split and merge pages.
        Array(repeating: UInt8(truncatingIfNeeded: n &+ round), count: 60 + (n &* 7 &+ round) % 340)
    }

    private func contents(_ env: LMDBEnvironment, _ db: LMDBDatabase) throws -> [UInt64: [UInt8]] {
        var seen: [UInt64: [UInt8]] = [:]
        var last: UInt64?
        try env.read { txn throws in
            try txn.forEach(in: db) { entry in
                let key = entry.key.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                #expect(last.map { $0 < key } ?? true, "keys out of order")
                last = key
                seen[key] = Array(entry.value)
                return true
            }
        }
        return seen
    }

    @Test func cursorWritesMatchAModelAcrossSplitsAndMerges() throws {
        let dir = try TemporaryDirectory()
        let env = try dir.open()
        let db = try env.openDatabase(named: "windows")
        var model: [UInt64: [UInt8]] = [:]
        var mix = Mix(state: 42)
        var nextAppend: UInt64 = 1_000_000
        for round in 0..<12 {
            try env.write { txn throws in
                let cursor = try txn.writeCursor(db)
                // A sorted run (the batch's windows), some keys new, some overwritten; half of
                // them reserved and filled in place (as window records are).
                let base = mix.next(3000)
                for n in stride(from: base, to: base + 600, by: 1 + mix.next(3)) {
                    let v = value(n, round: round)
                    try bigEndianKey(UInt64(n)).withUnsafeBytes { k in
                        if n % 2 == 0 {
                            try v.withUnsafeBytes { try cursor.put(key: k, value: $0) }
                        } else {
                            try cursor.putReserving(key: k, count: v.count) { $0.copyBytes(from: v) }
                        }
                    }
                    model[UInt64(n)] = v
                }
                // Appends past every key (the outbox), reserved and filled in place.
                for _ in 0..<80 {
                    let v = value(Int(nextAppend), round: round)
                    try bigEndianKey(nextAppend).withUnsafeBytes { k in
                        try cursor.putReserving(key: k, count: v.count, options: .append) { buffer in
                            buffer.copyBytes(from: v)
                        }
                    }
                    model[nextAppend] = v
                    nextAppend += 1
                }
                // Keys anywhere, through the cursor and through plain puts on the same database.
                for i in 0..<150 {
                    let n = UInt64(mix.next(4000))
                    let v = value(Int(n), round: round + 1)
                    if i % 2 == 0 {
                        try bigEndianKey(n).withUnsafeBytes { k in try v.withUnsafeBytes { try cursor.put(key: k, value: $0) } }
                    } else {
                        try txn.put(db, key: bigEndianKey(n), value: v)
                    }
                    model[n] = v
                }
                // Deletes: a sorted range of the oldest appends (the acknowledged outbox
                // entries), then keys anywhere, some of them absent.
                let held = model.keys.filter { $0 >= 1_000_000 }.sorted()
                for n in held.prefix(60) {
                    let existed = try bigEndianKey(n).withUnsafeBytes { try cursor.delete(key: $0) }
                    #expect(existed)
                    model[n] = nil
                }
                for _ in 0..<200 {
                    let n = UInt64(mix.next(4000))
                    let existed = try bigEndianKey(n).withUnsafeBytes { try cursor.delete(key: $0) }
                    #expect(existed == (model[n] != nil))
                    model[n] = nil
                }
                // A read in the same transaction sees the cursor's writes.
                if let entry = model.first {
                    #expect(try txn.get(db, key: bigEndianKey(entry.key)) == entry.value)
                }
            }
            #expect(try contents(env, db) == model, "round \(round)")
        }
        #expect(model.count > 1000)
    }

    @Test func anAbortedTransactionKeepsNothingTheCursorWrote() throws {
        let dir = try TemporaryDirectory()
        let env = try dir.open()
        let db = try env.openDatabase(named: "outbox")
        try env.write { txn throws in try txn.put(db, key: bigEndianKey(1), value: [1]) }
        struct Crash: Error {}
        #expect(throws: Crash.self) {
            try env.write { txn throws in
                let cursor = try txn.writeCursor(db)
                try bigEndianKey(2).withUnsafeBytes { k in try [UInt8]([2]).withUnsafeBytes { try cursor.put(key: k, value: $0, options: .append) } }
                _ = try bigEndianKey(1).withUnsafeBytes { try cursor.delete(key: $0) }
                throw Crash()
            }
        }
        #expect(try contents(env, db) == [1: [1]])
    }

    @Test func anAppendOutOfOrderThroughTheCursorIsRefused() throws {
        let dir = try TemporaryDirectory()
        let env = try dir.open()
        let db = try env.openDatabase(named: "outbox")
        try env.write { txn throws in
            let cursor = try txn.writeCursor(db)
            try bigEndianKey(5).withUnsafeBytes { k in try [UInt8]([5]).withUnsafeBytes { try cursor.put(key: k, value: $0, options: .append) } }
            let error = #expect(throws: LMDBError.self) {
                try bigEndianKey(3).withUnsafeBytes { k in try [UInt8]([3]).withUnsafeBytes { try cursor.put(key: k, value: $0, options: .append) } }
            }
            #expect(error?.isKeyExists == true)
        }
        #expect(try contents(env, db) == [5: [5]])
    }
}
