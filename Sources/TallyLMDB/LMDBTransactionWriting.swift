import CLMDB

/// What a write transaction can do beyond reading: puts, deletes, clearing and dropping
/// databases. `LMDBWriteTransaction` is the owner; `LMDBLentTransaction` is a copyable
/// stand-in for adapters that must pass the transaction through a copyable protocol.
public protocol LMDBTransactionWriting: LMDBTransactionReading, ~Copyable {}

extension LMDBTransactionWriting where Self: ~Copyable {
    /// Stores `value` under `key`. After a `isMapFull` error the transaction is unusable:
    /// abort it.
    public borrowing func put(_ db: LMDBDatabase, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer,
                              options: LMDBPutOptions = []) throws {
        var k = MDB_val(key)
        var v = MDB_val(value)
        try check(mdb_put(handle, db.handle, &k, &v, options.rawValue), "mdb_put(\(db.label))")
    }

    /// Copying convenience over `put(_:key:value:options:)`.
    public borrowing func put(_ db: LMDBDatabase, key: [UInt8], value: [UInt8], options: LMDBPutOptions = []) throws {
        try key.withUnsafeBytes { k in
            try value.withUnsafeBytes { v in try put(db, key: k, value: v, options: options) }
        }
    }

    /// Reserves `count` bytes for `key` (`MDB_RESERVE`) and lets `fill` write the value in
    /// place, saving a copy for values encoded on the fly.
    public borrowing func putReserving(_ db: LMDBDatabase, key: UnsafeRawBufferPointer, count: Int,
                                       options: LMDBPutOptions = [],
                                       _ fill: (UnsafeMutableRawBufferPointer) throws -> Void) throws {
        var k = MDB_val(key)
        var v = MDB_val(mv_size: count, mv_data: nil)
        try check(mdb_put(handle, db.handle, &k, &v, options.rawValue | UInt32(MDB_RESERVE)),
                  "mdb_put(reserve, \(db.label))")
        try fill(UnsafeMutableRawBufferPointer(start: v.mv_data, count: count))
    }

    /// Deletes `key`; returns whether it existed.
    @discardableResult
    public borrowing func delete(_ db: LMDBDatabase, key: UnsafeRawBufferPointer) throws -> Bool {
        var k = MDB_val(key)
        let rc = mdb_del(handle, db.handle, &k, nil)
        if rc == MDB_NOTFOUND { return false }
        try check(rc, "mdb_del(\(db.label))")
        return true
    }

    /// Copying convenience over `delete(_:key:)`.
    @discardableResult
    public borrowing func delete(_ db: LMDBDatabase, key: [UInt8]) throws -> Bool {
        try key.withUnsafeBytes { try delete(db, key: $0) }
    }

    /// Removes every entry of `db`, keeping the database.
    public borrowing func clear(_ db: LMDBDatabase) throws {
        try check(mdb_drop(handle, db.handle, 0), "mdb_drop(clear, \(db.label))")
    }

    /// Deletes `db` from the environment once this transaction commits; its handle must not
    /// be used afterwards.
    public borrowing func drop(_ db: LMDBDatabase) throws {
        try check(mdb_drop(handle, db.handle, 1), "mdb_drop(delete, \(db.label))")
    }
}
