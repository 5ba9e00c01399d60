import TallyEngine
import TallyLMDB

/// The engine's `StateStore` on an LMDB environment: one named database per
/// `StateTable`, one write transaction per batch (durable unless the
/// configuration turns syncing off for a benchmark).
public final class LMDBStateStore: StateStore {
    public let environment: LMDBEnvironment
    private let databases: [LMDBDatabase]

    public init(path: String, mapSizeMiB: Int, durable: Bool = true) throws {
        let environment = try LMDBEnvironment(path: path, mapSize: mapSizeMiB << 20, maxDatabases: 16,
                                              flags: durable ? [] : [.noSync, .noMetaSync])
        self.environment = environment
        databases = try StateTable.allCases.map { try environment.openDatabase(named: $0.name) }
    }

    /// Empties every table (a group task's cache that cannot be trusted, before it is
    /// restored from the changelog).
    public func clear() throws {
        try environment.write { txn in for db in databases { try txn.clear(db) } }
    }

    public var sizeOnDisk: Int { (try? environment.info().fileSizeBytes) ?? 0 }

    public func write<T>(_ body: (StateTransaction) throws -> T) throws -> T {
        try environment.write { txn in try body(Transaction(txn: txn.lent(), databases: databases)) }
    }

    public func read<T>(_ body: (StateTransaction) throws -> T) throws -> T {
        try environment.read { txn in try body(Transaction(txn: txn.lent(), databases: databases)) }
    }

    /// A view of a transaction that `LMDBEnvironment.write`/`read` owns and ends;
    /// valid only inside the closure it is handed to.
    private struct Transaction: StateTransaction {
        let txn: LMDBLentTransaction
        let databases: [LMDBDatabase]

        func get(_ table: StateTable, _ key: [UInt8]) throws -> [UInt8]? {
            try txn.get(databases[table.rawValue], key: key)
        }

        func put(_ table: StateTable, _ key: [UInt8], _ value: [UInt8], append: Bool) throws {
            try txn.put(databases[table.rawValue], key: key, value: value, options: append ? .append : [])
        }

        func put(_ table: StateTable, _ key: [UInt8], count: Int, append: Bool,
                 fill: (UnsafeMutableRawBufferPointer) -> Void) throws {
            try key.withUnsafeBytes { k in
                try txn.putReserving(databases[table.rawValue], key: k, count: count, options: append ? .append : [], fill)
            }
        }

        func delete(_ table: StateTable, _ key: [UInt8]) throws {
            try txn.delete(databases[table.rawValue], key: key)
        }

        func scan(_ table: StateTable, from: [UInt8],
                  _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool) throws {
            try from.withUnsafeBytes { lower in
                try txn.forEach(in: databases[table.rawValue], from: from.isEmpty ? nil : lower) { entry in
                    try body(entry.key, entry.value)
                }
            }
        }
    }
}
