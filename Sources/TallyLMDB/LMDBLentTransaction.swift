/// A copyable stand-in for a transaction that `LMDBEnvironment.write` or `read` owns and
/// ends, for adapters that hand the transaction on through a copyable protocol (the
/// engine's `StateTransaction` is an existential, which a `~Copyable` value cannot be).
///
/// Valid only inside the closure it was lent to: it must not be stored or escape. Writes
/// through one lent by a read transaction fail with LMDB's EACCES, as a thrown error.
public struct LMDBLentTransaction: LMDBTransactionWriting {
    public let handle: OpaquePointer
}

extension LMDBWriteTransaction {
    /// This transaction as a copyable value, for the duration of the caller's closure.
    public borrowing func lent() -> LMDBLentTransaction { LMDBLentTransaction(handle: handle) }
}

extension LMDBReadTransaction {
    /// This snapshot as a copyable value, for the duration of the caller's closure.
    public borrowing func lent() -> LMDBLentTransaction { LMDBLentTransaction(handle: handle) }
}
