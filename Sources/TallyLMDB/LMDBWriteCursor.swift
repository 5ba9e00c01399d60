import CLMDB

/// A cursor that writes: kept open across the puts and deletes of one write transaction, so
/// that each starts where the last one left the cursor instead of at the root. LMDB looks for
/// a key on the cursor's current leaf page first (`MDB_SET`: the page's first and last keys)
/// and an append finds the last page without a search, so puts in key order (a batch's
/// windows, sorted) and appends (the outbox, the dedupe record) skip the descent through the
/// tree and the dirty-page lookups at each of its levels that `mdb_put` and `mdb_del` (a
/// fresh cursor each) pay for every key.
///
/// Copyable, and valid only while the write transaction that opened it lives: LMDB frees a
/// write transaction's cursors when it commits or aborts, so this is never closed by hand.
/// Other cursors and plain puts on the same database in that transaction are fine (LMDB
/// keeps the transaction's cursors right across splits and deletes).
public struct LMDBWriteCursor {
    let handle: OpaquePointer
    public let database: LMDBDatabase

    /// Stores `value` under `key`; see `LMDBTransactionWriting.put`.
    public func put(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, options: LMDBPutOptions = []) throws {
        var k = MDB_val(key)
        var v = MDB_val(value)
        try check(mdb_cursor_put(handle, &k, &v, options.rawValue), "mdb_cursor_put(\(database.label))")
    }

    /// Reserves `count` bytes for `key` and lets `fill` write the value in place; see
    /// `LMDBTransactionWriting.putReserving`.
    public func putReserving(key: UnsafeRawBufferPointer, count: Int, options: LMDBPutOptions = [],
                             _ fill: (UnsafeMutableRawBufferPointer) throws -> Void) throws {
        var k = MDB_val(key)
        var v = MDB_val(mv_size: count, mv_data: nil)
        try check(mdb_cursor_put(handle, &k, &v, options.rawValue | UInt32(MDB_RESERVE)),
                  "mdb_cursor_put(reserve, \(database.label))")
        try fill(UnsafeMutableRawBufferPointer(start: v.mv_data, count: count))
    }

    /// Deletes `key`; returns whether it existed.
    @discardableResult
    public func delete(key: UnsafeRawBufferPointer) throws -> Bool {
        var k = MDB_val(key)
        var v = MDB_val()
        let rc = mdb_cursor_get(handle, &k, &v, MDB_SET)
        if rc == MDB_NOTFOUND { return false }
        try check(rc, "mdb_cursor_get(set, \(database.label))")
        try check(mdb_cursor_del(handle, 0), "mdb_cursor_del(\(database.label))")
        return true
    }
}

extension LMDBTransactionWriting where Self: ~Copyable {
    /// Opens a write cursor on `db`, freed by LMDB when this transaction ends. Only in a
    /// write transaction (a read transaction's cursors would have to be closed by hand).
    public borrowing func writeCursor(_ db: LMDBDatabase) throws -> LMDBWriteCursor {
        var raw: OpaquePointer?
        try check(mdb_cursor_open(handle, db.handle, &raw), "mdb_cursor_open(\(db.label))")
        return LMDBWriteCursor(handle: raw!, database: db)
    }
}
