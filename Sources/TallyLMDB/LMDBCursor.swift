import CLMDB

/// A forward/backward cursor over one database, lent to a closure by `withCursor`.
/// Every positioning call returns the entry there, `nil` when there is none (end of data or
/// no key ≥ the seek key), and throws any other LMDB error.
public struct LMDBCursor: ~Copyable {
    let handle: OpaquePointer
    let database: LMDBDatabase

    init(handle: OpaquePointer, database: LMDBDatabase) {
        self.handle = handle
        self.database = database
    }

    /// Positions at the first key ≥ `key` (`MDB_SET_RANGE`).
    public mutating func seek(atOrAfter key: UnsafeRawBufferPointer) throws -> LMDBEntry? {
        var k = MDB_val(key)
        return try move(MDB_SET_RANGE, &k, "seek")
    }

    /// Positions at the first entry.
    public mutating func first() throws -> LMDBEntry? {
        var k = MDB_val()
        return try move(MDB_FIRST, &k, "first")
    }

    /// Positions at the last entry.
    public mutating func last() throws -> LMDBEntry? {
        var k = MDB_val()
        return try move(MDB_LAST, &k, "last")
    }

    /// Moves to the next entry.
    public mutating func next() throws -> LMDBEntry? {
        var k = MDB_val()
        return try move(MDB_NEXT, &k, "next")
    }

    /// Moves to the previous entry.
    public mutating func previous() throws -> LMDBEntry? {
        var k = MDB_val()
        return try move(MDB_PREV, &k, "prev")
    }

    private func move(_ op: MDB_cursor_op, _ key: inout MDB_val, _ name: String) throws -> LMDBEntry? {
        var value = MDB_val()
        let rc = mdb_cursor_get(handle, &key, &value, op)
        if rc == MDB_NOTFOUND { return nil }
        try check(rc, "mdb_cursor_get(\(name)) in \(database.label)")
        return LMDBEntry(key: key.buffer, value: value.buffer)
    }
}
