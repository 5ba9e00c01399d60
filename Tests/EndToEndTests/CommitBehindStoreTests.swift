import Foundation
import Testing
import TallyEngine
import TallyRater

/// `LMDBStateStore` with `commitBehind` (`engine.commit_thread`), on real LMDB files: the
/// write transactions run on the commit thread, `write` returns before the commit, and every
/// later read or write sees what was committed before it.
@Suite struct CommitBehindStoreTests {
    static func directory() throws -> String {
        let path = NSTemporaryDirectory() + "commit-behind-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func key(_ i: Int) -> [UInt8] { withUnsafeBytes(of: UInt64(i).bigEndian) { Array($0) } }

    @Test func everyReadSeesTheWritesBeforeIt() throws {
        let path = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try LMDBStateStore(path: path, mapSizeMiB: 64, durable: true, commitBehind: true)
        #expect(store.commitsBehind)
        #expect(store.lastWrite == 0)
        for i in 1...50 {
            let returned = try store.write { txn -> Int in
                try txn.put(.meta, Self.key(i), Array(repeating: UInt8(i), count: 100 + i), append: false)
                return i * 3
            }
            #expect(returned == i * 3)
            #expect(store.lastWrite == UInt64(i))
            // A read right after the write waits for its commit: it sees every write so far.
            let seen = try store.read { txn in try (1...i).map { try txn.get(.meta, Self.key($0))?.count ?? -1 } }
            #expect(seen == (1...i).map { 100 + $0 })
        }
        try store.awaitCommitted(through: store.lastWrite)
        #expect(try store.isCommitted(through: store.lastWrite))
    }

    @Test func theBodyRunsOnTheCommitThreadAndItsErrorReachesTheCaller() throws {
        struct Refused: Error, Equatable {}
        let path = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try LMDBStateStore(path: path, mapSizeMiB: 64, durable: true, commitBehind: true)
        let caller = pthread_self()
        let ranElsewhere = try store.write { txn -> Bool in
            try txn.put(.meta, Self.key(1), [1], append: false)
            return pthread_equal(pthread_self(), caller) == 0
        }
        #expect(ranElsewhere)
        #expect(throws: Refused.self) {
            try store.write { txn in
                try txn.put(.meta, Self.key(2), [2], append: false)
                throw Refused()
            }
        }
        // The refused write stored nothing; the store goes on.
        try store.write { txn in try txn.put(.meta, Self.key(3), [3], append: false) }
        let values = try store.read { txn in try [1, 2, 3].map { try txn.get(.meta, Self.key($0)) } }
        #expect(values == [[1], nil, [3]])
    }

    @Test func writesInFlightAreOnDiskOnceTheStoreIsReleased() throws {
        let path = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let store = try LMDBStateStore(path: path, mapSizeMiB: 64, durable: true, commitBehind: true)
            for i in 1...20 {
                try store.write { txn in try txn.put(.windows, Self.key(i), Array(repeating: 7, count: 4_000), append: true) }
            }
            // No wait here: releasing the store ends its commit thread after the last commit.
        }
        let reopened = try LMDBStateStore(path: path, mapSizeMiB: 64)
        #expect(!reopened.commitsBehind)
        let count = try reopened.read { txn in
            var n = 0
            try txn.scan(.windows, from: []) { _, value in n += value.count == 4_000 ? 1 : 0; return true }
            return n
        }
        #expect(count == 20)
    }
}
