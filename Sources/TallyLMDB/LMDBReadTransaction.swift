import CLMDB

/// A read-only snapshot. Non-copyable and ended exactly once: `end()` consumes it and its
/// deinit ends it otherwise. Because the environment uses `MDB_NOTLS`, it may be moved to
/// another thread, but used by one thread at a time. Long-lived readers keep old pages
/// alive and make the file grow: end snapshots promptly.
public struct LMDBReadTransaction: ~Copyable, LMDBTransactionReading {
    public let handle: OpaquePointer

    init(handle: OpaquePointer) { self.handle = handle }

    deinit { mdb_txn_abort(handle) }

    /// Ends the snapshot.
    public consuming func end() {
        let txn = handle
        discard self
        mdb_txn_abort(txn)
    }
}
