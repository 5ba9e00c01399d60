import CLMDB

/// What both transaction kinds can do: point reads, cursors, statistics.
/// Buffers returned from these calls point into the memory map and are valid only while the
/// transaction lives (in a write transaction, only until the next write to that database).
public protocol LMDBTransactionReading: ~Copyable {
    /// The raw `MDB_txn*`. For adapter code; do not end it yourself.
    var handle: OpaquePointer { get }
}

extension LMDBTransactionReading where Self: ~Copyable {
    /// The value stored under `key`, or `nil` if there is none.
    public borrowing func get(_ db: LMDBDatabase, key: UnsafeRawBufferPointer) throws -> UnsafeRawBufferPointer? {
        var k = MDB_val(key)
        var v = MDB_val()
        let rc = mdb_get(handle, db.handle, &k, &v)
        if rc == MDB_NOTFOUND { return nil }
        try check(rc, "mdb_get(\(db.label))")
        return v.buffer
    }

    /// Copying convenience over `get(_:key:)`.
    public borrowing func get(_ db: LMDBDatabase, key: [UInt8]) throws -> [UInt8]? {
        try key.withUnsafeBytes { k in try get(db, key: k).map { Array($0) } }
    }

    /// `mdb_stat` of one database as seen by this transaction.
    public borrowing func statistics(_ db: LMDBDatabase) throws -> LMDBDatabaseStatistics {
        var stat = MDB_stat()
        try check(mdb_stat(handle, db.handle, &stat), "mdb_stat(\(db.label))")
        return LMDBDatabaseStatistics(stat)
    }

    /// Opens a cursor on `db`, passes it to `body`, and closes it before returning, so the
    /// cursor can never outlive the transaction.
    public borrowing func withCursor<R>(_ db: LMDBDatabase, _ body: (inout LMDBCursor) throws -> R) throws -> R {
        var raw: OpaquePointer?
        try check(mdb_cursor_open(handle, db.handle, &raw), "mdb_cursor_open(\(db.label))")
        var cursor = LMDBCursor(handle: raw!, database: db)
        defer { mdb_cursor_close(raw) }
        return try body(&cursor)
    }

    /// Visits entries in key order starting at the first key ≥ `lowerBound` (or the first key),
    /// while `body` returns `true`. Errors from LMDB are thrown, never taken for end of data.
    public borrowing func forEach(in db: LMDBDatabase, from lowerBound: UnsafeRawBufferPointer? = nil,
                                  _ body: (LMDBEntry) throws -> Bool) throws {
        try withCursor(db) { cursor in
            var entry = try lowerBound.map { try cursor.seek(atOrAfter: $0) } ?? cursor.first()
            while let current = entry, try body(current) {
                entry = try cursor.next()
            }
        }
    }

    /// Visits, in key order, every entry whose key starts with `prefix`, while `body` returns `true`.
    public borrowing func forEach(in db: LMDBDatabase, prefix: UnsafeRawBufferPointer,
                                  _ body: (LMDBEntry) throws -> Bool) throws {
        try forEach(in: db, from: prefix) { entry in
            guard entry.key.starts(with: prefix) else { return false }
            return try body(entry)
        }
    }

    /// Copying convenience: every entry whose key starts with `prefix`, as byte arrays.
    public borrowing func entries(in db: LMDBDatabase, prefix: [UInt8]) throws -> [(key: [UInt8], value: [UInt8])] {
        var result: [(key: [UInt8], value: [UInt8])] = []
        try prefix.withUnsafeBytes { p in
            try forEach(in: db, prefix: p) { entry in
                result.append((Array(entry.key), Array(entry.value)))
                return true
            }
        }
        return result
    }
}
