import Foundation
@testable import TallyLMDB

/// A fresh LMDB directory per test, removed when the test's scope ends.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("tally-lmdb-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func open(mapSize: Int = 64 << 20, flags: LMDBEnvironment.Flags = []) throws -> LMDBEnvironment {
        try LMDBEnvironment(path: path, mapSize: mapSize, maxDatabases: 8, flags: flags)
    }
}

/// Big-endian bytes of `n`, so byte order equals numeric order.
func bigEndianKey(_ n: UInt64) -> [UInt8] {
    withUnsafeBytes(of: n.bigEndian) { Array($0) }
}
