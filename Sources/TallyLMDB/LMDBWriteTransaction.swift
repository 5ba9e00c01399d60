import CLMDB

/// A write transaction. Non-copyable, so it is ended exactly once: `commit()` and `abort()`
/// consume it, and one dropped without either is aborted by its deinit (nothing written).
///
/// Rules: use it only on the thread that began it; one write transaction per environment at
/// a time; never hold it across an `await`. Pass the same transaction to every write that
/// must become durable together (state and offsets commit atomically).
///
/// ```swift
/// var txn = try env.beginWrite()
/// try txn.put(usage, key: k, value: v, options: .append)
/// try txn.commit()          // txn can no longer be used: a compile error
/// ```
public struct LMDBWriteTransaction: ~Copyable, LMDBTransactionWriting {
    public let handle: OpaquePointer

    init(handle: OpaquePointer) { self.handle = handle }

    deinit { mdb_txn_abort(handle) }

    /// Makes every write durable (subject to the environment's sync flags). LMDB frees the
    /// transaction whether or not the commit succeeds; on failure nothing was written.
    public consuming func commit() throws {
        let txn = handle
        discard self
        try check(mdb_txn_commit(txn), "mdb_txn_commit")
    }

    /// Discards every write of this transaction.
    public consuming func abort() {
        let txn = handle
        discard self
        mdb_txn_abort(txn)
    }
}
