import Testing
@testable import TallyLMDB

@Suite struct LMDBReadWriteTests {
    @Test func putGetDeleteRoundTrip() throws {
        let dir = try TemporaryDirectory()
        let env = try dir.open()
        let db = try env.openDatabase(named: "usage")
        try env.write { txn throws in
            try txn.put(db, key: [1, 2], value: [10, 20, 30])
            try txn.put(db, key: [1, 3], value: [40])
        }
        try env.read { txn throws in
            #expect(try txn.get(db, key: [1, 2]) == [10, 20, 30])
            #expect(try txn.get(db, key: [1, 3]) == [40])
            #expect(try txn.get(db, key: [9]) == nil)
        }
        let deleted = try env.write { txn throws in
            (try txn.delete(db, key: [1, 2]), try txn.delete(db, key: [7]))
        }
        #expect(deleted == (true, false))
        try env.read { txn throws in
            #expect(try txn.get(db, key: [1, 2]) == nil)
            #expect(try txn.statistics(db).entries == 1)
        }
    }

    @Test func appendAcceptsOrderedKeysAndRejectsOutOfOrder() throws {
        let dir = try TemporaryDirectory()
        let env = try dir.open()
        let db = try env.openDatabase(named: "log")
        try env.write { txn throws in
            for n in UInt64(0)..<1000 {
                try txn.put(db, key: bigEndianKey(n), value: bigEndianKey(n * 2), options: .append)
            }
        }
        let txn = try env.beginWrite()
        let error = #expect(throws: LMDBError.self) {
            try txn.put(db, key: bigEndianKey(5), value: [0], options: .append)
        }
        txn.abort()
        #expect(error?.isKeyExists == true)
        #expect(error?.operation == "mdb_put(log)")
        try env.read { txn throws in
            #expect(try txn.statistics(db).entries == 1000)
            #expect(try txn.get(db, key: bigEndianKey(999)) == bigEndianKey(1998))
        }
    }

    @Test func noOverwriteKeepsTheFirstValue() throws {
        let dir = try TemporaryDirectory()
        let env = try dir.open()
        let db = try env.openDatabase(named: "offsets")
        let error = #expect(throws: LMDBError.self) {
            try env.write { txn throws in
                try txn.put(db, key: [1], value: [1])
                try txn.put(db, key: [1], value: [2], options: .noOverwrite)
            }
        }
        #expect(error?.isKeyExists == true)
        // The throwing closure aborted the whole transaction, first put included.
        try env.read { txn throws in #expect(try txn.get(db, key: [1]) == nil) }
    }

    @Test func reservedPutWritesInPlace() throws {
        let dir = try TemporaryDirectory()
        let env = try dir.open()
        let db = try env.openDatabase(named: "frames")
        try env.write { txn throws in
            try [UInt8]([42]).withUnsafeBytes { key in
                try txn.putReserving(db, key: key, count: 4) { out in
                    for i in 0..<4 { out[i] = UInt8(i + 1) }
                }
            }
        }
        try env.read { txn throws in #expect(try txn.get(db, key: [42]) == [1, 2, 3, 4]) }
    }

    @Test func clearEmptiesAndDropDeletesTheDatabase() throws {
        let dir = try TemporaryDirectory()
        let env = try dir.open()
        let keep = try env.openDatabase(named: "keep")
        let gone = try env.openDatabase(named: "gone")
        try env.write { txn throws in
            try txn.put(keep, key: [1], value: [1])
            try txn.put(gone, key: [1], value: [1])
        }
        try env.write { txn throws in try txn.clear(keep) }
        try env.read { txn throws in #expect(try txn.statistics(keep).entries == 0) }
        try env.write { txn throws in try txn.drop(gone) }
        let error = #expect(throws: LMDBError.self) { try env.openDatabase(named: "gone", create: false) }
        #expect(error?.isNotFound == true)
        #expect(error?.operation == "mdb_dbi_open(gone)")
    }
}
