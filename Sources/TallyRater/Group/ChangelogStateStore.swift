import TallyEngine

/// The state changes of one engine batch, captured on their way into LMDB: what the
/// task's Kafka transaction carries (docs/SCALE.md, "exactly once per task").
struct ChangelogBatch {
    /// Every put (value) and delete (nil) of the batch except the outbox, in order.
    var changes: [(table: StateTable, key: [UInt8], value: [UInt8]?)] = []
    /// The outbox entries the batch wrote (encoded `OutboxEntry`): produced in the
    /// transaction instead of being kept in LMDB.
    var outbox: [[UInt8]] = []
    var isEmpty: Bool { changes.isEmpty && outbox.isEmpty }
}

/// A group task's `StateStore`: the engine's LMDB store, with each write transaction
/// captured so that, inside it and before LMDB commits, `beforeCommit` can put the
/// batch's outbox and changelog records in one Kafka transaction with the consumed
/// offsets. The engine is unchanged: it writes through the same port.
///
/// The outbox never reaches LMDB here: its messages are committed in the Kafka
/// transaction itself, so there is nothing left to send after a crash.
final class ChangelogStateStore: StateStore {
    let inner: LMDBStateStore
    /// Runs inside every write transaction that changed something, after the engine's
    /// body; its error aborts the LMDB transaction. `raw` writes without being captured.
    var beforeCommit: ((_ batch: ChangelogBatch, _ raw: StateTransaction) throws -> Void)?

    init(inner: LMDBStateStore) { self.inner = inner }

    var sizeOnDisk: Int { inner.sizeOnDisk }

    func write<T>(_ body: (StateTransaction) throws -> T) throws -> T {
        try inner.write { txn in
            let capture = CapturingTransaction(base: txn)
            let result = try body(capture)
            if !capture.batch.isEmpty, let beforeCommit { try beforeCommit(capture.batch, txn) }
            return result
        }
    }

    func read<T>(_ body: (StateTransaction) throws -> T) throws -> T { try inner.read(body) }
}

/// Passes reads and writes to the real transaction and notes every change.
final class CapturingTransaction: StateTransaction {
    let base: StateTransaction
    var batch = ChangelogBatch()

    init(base: StateTransaction) { self.base = base }

    func get(_ table: StateTable, _ key: [UInt8]) throws -> [UInt8]? { try base.get(table, key) }

    func put(_ table: StateTable, _ key: [UInt8], _ value: [UInt8], append: Bool) throws {
        if table == .outbox { batch.outbox.append(value); return }
        // The engine rewrites its few meta values and offsets every batch: an unchanged
        // one is no change (a batch that did nothing then needs no transaction at all).
        if table == .meta || table == .offsets, let old = try base.get(table, key), old == value { return }
        try base.put(table, key, value, append: append)
        batch.changes.append((table, key, value))
    }

    func delete(_ table: StateTable, _ key: [UInt8]) throws {
        if table == .outbox { return }  // acknowledged entries: never stored in group mode
        try base.delete(table, key)
        batch.changes.append((table, key, nil))
    }

    func scan(_ table: StateTable, from: [UInt8],
              _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool) throws {
        try base.scan(table, from: from, body)
    }
}
