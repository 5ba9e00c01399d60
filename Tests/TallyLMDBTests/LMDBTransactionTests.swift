import Testing
@testable import TallyLMDB

@Suite struct LMDBTransactionTests {
    @Test func abortLeavesNothing() throws {
        let dir = try TemporaryDirectory()
        let env = try dir.open()
        let db = try env.openDatabase(named: "state")
        let txn = try env.beginWrite()
        try txn.put(db, key: [1], value: [1])
        try txn.put(db, key: [2], value: [2])
        #expect(try txn.get(db, key: [1]) == [1], "a transaction sees its own writes")
        txn.abort()
        try env.read { txn throws in #expect(try txn.statistics(db).entries == 0) }
    }

    @Test func droppedTransactionIsAbortedByDeinit() throws {
        let dir = try TemporaryDirectory()
        let env = try dir.open()
        let db = try env.openDatabase(named: "state")
        do {
            let txn = try env.beginWrite()
            try txn.put(db, key: [1], value: [1])
        }
        // A new write transaction would deadlock if the first one were still open.
        try env.write { txn throws in try txn.put(db, key: [2], value: [2]) }
        try env.read { txn throws in
            #expect(try txn.get(db, key: [1]) == nil)
            #expect(try txn.get(db, key: [2]) == [2])
        }
    }

    @Test func commitIsAtomicAcrossDatabases() throws {
        let dir = try TemporaryDirectory()
        let env = try dir.open()
        let state = try env.openDatabase(named: "state")
        let offsets = try env.openDatabase(named: "offsets")
        let reader = try env.beginRead()
        let txn = try env.beginWrite()
        try txn.put(state, key: [1], value: [7])
        try txn.put(offsets, key: [0], value: [99])
        try txn.commit()
        #expect(try reader.get(state, key: [1]) == nil, "an older snapshot does not see the commit")
        reader.end()
        try env.read { txn throws in
            #expect(try txn.get(state, key: [1]) == [7])
            #expect(try txn.get(offsets, key: [0]) == [99])
        }
    }

    @Test func committedDataSurvivesReopen() throws {
        let dir = try TemporaryDirectory()
        do {
            let env = try dir.open()
            let db = try env.openDatabase(named: "durable")
            try env.write { txn throws in try txn.put(db, key: [5], value: [6, 7]) }
            env.close()
        }
        let env = try dir.open()
        let db = try env.openDatabase(named: "durable", create: false)
        try env.read { txn throws in #expect(try txn.get(db, key: [5]) == [6, 7]) }
        let info = try env.info()
        #expect(info.fileSizeBytes > 0)
        #expect(info.usedBytes > 0 && info.usedBytes <= info.fileSizeBytes)
        #expect(info.mainDatabaseEntries == 1, "one named database")
    }

    @Test func mapFullIsAClearError() throws {
        let dir = try TemporaryDirectory()
        let env = try dir.open(mapSize: 256 << 10)
        let db = try env.openDatabase(named: "small")
        let value = [UInt8](repeating: 0xAB, count: 1000)
        let error = #expect(throws: LMDBError.self) {
            try env.write { txn throws in
                for n in UInt64(0)..<10_000 {
                    try txn.put(db, key: bigEndianKey(n), value: value)
                }
            }
        }
        #expect(error?.isMapFull == true)
        #expect(error?.description.contains("mdb_put(small)") == true)
        #expect(error?.message.contains("MDB_MAP_FULL") == true)
        // The environment stays usable after the failed transaction was aborted.
        try env.write { txn throws in try txn.put(db, key: [1], value: [1]) }
    }
}
