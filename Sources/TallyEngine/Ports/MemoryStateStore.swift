/// A `StateStore` in memory with the same transactional behaviour as the LMDB
/// store (a write transaction's changes stand only if its body returns), for tests of
/// the engine alone, replays and `tally rate`.
///
/// A write changes the tables in place and keeps an undo log, rolled back if the body
/// throws. (Copying the tables into each transaction, as before, cost a copy of every
/// dictionary per commit: ~19% of `tally rate`'s time.) Keys are held inline where they
/// fit (`StoreKey`) and a scan orders its keys lazily (`KeyHeap`), instead of hashing
/// `[UInt8]` keys a byte at a time and sorting every key of a table for each scan.
public final class MemoryStateStore: StateStore {
    typealias Table = [StoreKey: [UInt8]]
    fileprivate var tables: [Table] = Array(repeating: [:], count: StateTable.allCases.count)
    /// Whether a write transaction notes what each change replaced, to roll it back.
    private let rollsBackFailedWrites: Bool
    /// A write threw and was not rolled back: the tables hold part of it, and the store
    /// refuses to be used again rather than serve them.
    private var holdsAFailedWrite = false

    /// - Parameter rollsBackFailedWrites: false for an owner that drops the store when a
    ///   write transaction throws (`tally rate`: the error ends the command). Such a store
    ///   keeps no undo log (a tuple per put, ~6 MB for 100,000 windows in one batch) and
    ///   stops the process if it is used after a failed write.
    public init(rollsBackFailedWrites: Bool = true) {
        self.rollsBackFailedWrites = rollsBackFailedWrites
    }

    public var sizeOnDisk: Int { tables.reduce(0) { $0 + $1.reduce(0) { $0 + $1.key.count + $1.value.count } } }

    public func write<T>(_ body: (StateTransaction) throws -> T) throws -> T {
        precondition(!holdsAFailedWrite, "a MemoryStateStore that does not roll back was used after a failed write")
        let txn = WriteTransaction(store: self, keepsUndoLog: rollsBackFailedWrites)
        do {
            return try body(txn)
        } catch {
            if rollsBackFailedWrites { txn.rollBack() } else { holdsAFailedWrite = true }
            throw error
        }
    }

    public func read<T>(_ body: (StateTransaction) throws -> T) throws -> T {
        precondition(!holdsAFailedWrite, "a MemoryStateStore that does not roll back was used after a failed write")
        return try body(Snapshot(tables: tables))
    }

    /// Visits `table`'s entries with key ≥ `from` in key order (as LMDB's cursor does), as
    /// they were when the scan began. Keys are ordered as they are visited (a heap), not
    /// sorted up front: the purge of expired windows stops at the first window inside its
    /// horizon, usually the first key of the table.
    fileprivate static func scan(_ table: Table, from: [UInt8],
                                 _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool) throws {
        let start = StoreKey(from)
        var heap = KeyHeap(table.keys.lazy.filter { !($0 < start) })
        while let key = heap.popFirst() {
            let value = table[key]!
            let goOn = try key.withBytes { k in try value.withUnsafeBytes { v in try body(k, v) } }
            if !goOn { return }
        }
    }

    /// Writes straight into the store's tables; each change notes what it replaced.
    private final class WriteTransaction: StateTransaction {
        unowned let store: MemoryStateStore
        private let keepsUndoLog: Bool
        private var undo: [(table: Int, key: StoreKey, previous: [UInt8]?)] = []
        init(store: MemoryStateStore, keepsUndoLog: Bool) {
            self.store = store
            self.keepsUndoLog = keepsUndoLog
        }

        func get(_ table: StateTable, _ key: [UInt8]) throws -> [UInt8]? { store.tables[table.rawValue][StoreKey(key)] }
        func put(_ table: StateTable, _ key: [UInt8], _ value: [UInt8], append: Bool) throws {
            let key = StoreKey(key)
            let previous = store.tables[table.rawValue].updateValue(value, forKey: key)
            if keepsUndoLog { undo.append((table.rawValue, key, previous)) }
        }
        func delete(_ table: StateTable, _ key: [UInt8]) throws {
            let key = StoreKey(key)
            guard let previous = store.tables[table.rawValue].removeValue(forKey: key) else { return }
            if keepsUndoLog { undo.append((table.rawValue, key, previous)) }
        }
        func scan(_ table: StateTable, from: [UInt8],
                  _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool) throws {
            try MemoryStateStore.scan(store.tables[table.rawValue], from: from, body)
        }

        /// Restores every changed entry, latest change first.
        func rollBack() {
            for change in undo.reversed() { store.tables[change.table][change.key] = change.previous }
            undo.removeAll()
        }
    }

    /// The tables as they were when the read began (a copy on write: changes made
    /// through it are its own and are never committed).
    private final class Snapshot: StateTransaction {
        var tables: [Table]
        init(tables: [Table]) { self.tables = tables }

        func get(_ table: StateTable, _ key: [UInt8]) throws -> [UInt8]? { tables[table.rawValue][StoreKey(key)] }
        func put(_ table: StateTable, _ key: [UInt8], _ value: [UInt8], append: Bool) throws {
            tables[table.rawValue][StoreKey(key)] = value
        }
        func delete(_ table: StateTable, _ key: [UInt8]) throws { tables[table.rawValue][StoreKey(key)] = nil }
        func scan(_ table: StateTable, from: [UInt8],
                  _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool) throws {
            try MemoryStateStore.scan(tables[table.rawValue], from: from, body)
        }
    }
}
