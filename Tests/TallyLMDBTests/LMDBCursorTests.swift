import Testing
@testable import TallyLMDB

@Suite struct LMDBCursorTests {
    private func filledEnvironment(_ dir: TemporaryDirectory) throws -> (LMDBEnvironment, LMDBDatabase) {
        let env = try dir.open()
        let db = try env.openDatabase(named: "windows")
        try env.write { txn throws in
            for group in UInt8(1)...3 {
                for item in UInt8(0)..<5 {
                    try txn.put(db, key: [group, item], value: [group &* 10 &+ item])
                }
            }
        }
        return (env, db)
    }

    @Test func prefixScanVisitsOnlyThatPrefixInOrder() throws {
        let dir = try TemporaryDirectory()
        let (env, db) = try filledEnvironment(dir)
        let entries = try env.read { txn throws in try txn.entries(in: db, prefix: [2]) }
        #expect(entries.map(\.key) == (0..<5).map { [2, UInt8($0)] })
        #expect(entries.map(\.value) == (0..<5).map { [20 + UInt8($0)] })
    }

    @Test func lowerBoundScanStartsAtFirstKeyNotBelowAndStopsOnRequest() throws {
        let dir = try TemporaryDirectory()
        let (env, db) = try filledEnvironment(dir)
        var seen: [[UInt8]] = []
        try env.read { txn throws in
            try [UInt8]([1, 3, 7]).withUnsafeBytes { bound in
                try txn.forEach(in: db, from: bound) { entry in
                    seen.append(Array(entry.key))
                    return seen.count < 4
                }
            }
        }
        // [1, 3, 7] sorts after [1, 3], so the scan starts at [1, 4].
        #expect(seen == [[1, 4], [2, 0], [2, 1], [2, 2]])
    }

    @Test func cursorMovesBothWaysAndEndsWithNil() throws {
        let dir = try TemporaryDirectory()
        let (env, db) = try filledEnvironment(dir)
        try env.read { txn throws in
            try txn.withCursor(db) { cursor throws in
                #expect(try cursor.last().map { Array($0.key) } == [3, 4])
                #expect(try cursor.next() == nil)
                #expect(try cursor.previous().map { Array($0.key) } == [3, 3])
                let beyond: [UInt8] = [9]
                try beyond.withUnsafeBytes { bound throws in #expect(try cursor.seek(atOrAfter: bound) == nil) }
            }
        }
    }

    @Test func errorsThrownDuringAScanStopItAndPropagate() throws {
        let dir = try TemporaryDirectory()
        let (env, db) = try filledEnvironment(dir)
        struct Stop: Error {}
        var visited = 0
        #expect(throws: Stop.self) {
            try env.read { txn throws in
                try txn.forEach(in: db) { _ in
                    visited += 1
                    if visited == 2 { throw Stop() }
                    return true
                }
            }
        }
        #expect(visited == 2)
    }
}
