import Foundation
import TallyLMDB

/// The index's interned strings: every text a compact summary record names (metric, resource,
/// unit, groupby keys and values, …) is stored once, in `strings` (text → id) and `string_ids`
/// (id → text), and records carry 4-byte ids. Ids are dense and only ever added (1, 2, …);
/// id 0 is the empty string and is never stored. The table is kept in memory too, so a query
/// resolves ids without reading LMDB; a reader whose snapshot holds ids the memory copy has
/// not seen yet loads them first (`names(in:)`), so a record can always be resolved.
final class StringTable: @unchecked Sendable {
    private let lock = NSLock()
    private var names: [String] = [""]
    private var ids: [String: UInt32] = ["": 0]
    let textToId: LMDBDatabase
    let idToText: LMDBDatabase

    init(textToId: LMDBDatabase, idToText: LMDBDatabase) {
        self.textToId = textToId
        self.idToText = idToText
    }

    /// Every name by id as of `txn`'s snapshot (loading ids added since the last call).
    func names(in txn: borrowing some LMDBTransactionReading & ~Copyable) throws -> [String] {
        let stored = try txn.statistics(idToText).entries
        if let current = lock.withLock({ names.count > stored ? names : nil }) { return current }
        var loaded: [(UInt32, String)] = []
        let first = lock.withLock { UInt32(names.count) }
        try FrameIndexKeys.bigEndian32(first).withUnsafeBytes { bound in
            try txn.forEach(in: idToText, from: bound) { entry in
                loaded.append((FrameIndexKeys.readBigEndian32(entry.key), String(decoding: entry.value, as: UTF8.self)))
                return true
            }
        }
        return lock.withLock {
            for (id, name) in loaded where id == UInt32(names.count) {
                names.append(name)
                ids[name] = id
            }
            return names
        }
    }

    func committedId(_ name: String) -> UInt32? { lock.withLock { ids[name] } }

    /// Adds what a committed transaction interned (ids in order; ones already loaded are skipped).
    func commit(_ added: [(UInt32, String)]) {
        lock.withLock {
            for (id, name) in added where id == UInt32(names.count) {
                names.append(name)
                ids[name] = id
            }
        }
    }
}

/// Interning inside one write transaction: new ids are written with the records that use them,
/// and handed to the in-memory table only after the transaction committed.
struct StringInterner {
    let table: StringTable
    private var next: UInt32
    private var pending: [String: UInt32] = [:]
    private(set) var added: [(UInt32, String)] = []

    init(table: StringTable, txn: borrowing LMDBWriteTransaction) throws {
        self.table = table
        next = UInt32(try txn.statistics(table.idToText).entries) + 1
    }

    mutating func id(_ name: String, _ txn: borrowing LMDBWriteTransaction) throws -> UInt32 {
        if let id = table.committedId(name) ?? pending[name] { return id }
        let text = Array(name.utf8)
        if let stored = try txn.get(table.textToId, key: text) {
            let id = FrameIndexKeys.readBigEndian32(stored)
            pending[name] = id
            return id
        }
        let id = next
        next += 1
        try txn.put(table.textToId, key: text, value: FrameIndexKeys.bigEndian32(id))
        try txn.put(table.idToText, key: FrameIndexKeys.bigEndian32(id), value: text)
        pending[name] = id
        added.append((id, name))
        return id
    }
}
