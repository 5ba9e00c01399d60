import TallyEngine
import TallyLMDB
import TallyRuntime
import TallyThreads

/// The engine's `StateStore` on an LMDB environment: one named database per
/// `StateTable`, one write transaction per batch (durable unless the
/// configuration turns syncing off for a benchmark).
///
/// `commitBehind`: write transactions run on a `CommitThread`, and `write` returns once its
/// body has run, while the commit (and its waits for the disk) goes on there. Every later
/// `read` and `write` first waits for that commit, so they see it; whoever acts on
/// durability (sends the batch's frames) calls `awaitCommitted` or `isCommitted` first.
public final class LMDBStateStore: StateStore {
    public let environment: LMDBEnvironment
    private let databases: [LMDBDatabase]
    private let committer: CommitThread?

    public init(path: String, mapSizeMiB: Int, durable: Bool = true, commitBehind: Bool = false) throws {
        let environment = try LMDBEnvironment(path: path, mapSize: mapSizeMiB << 20, maxDatabases: 16,
                                              flags: durable ? [] : [.noSync, .noMetaSync])
        self.environment = environment
        databases = try StateTable.allCases.map { try environment.openDatabase(named: $0.name) }
        committer = commitBehind ? CommitThread() : nil
    }

    deinit { committer?.stop() }  // the commit in flight ends first

    /// Whether writes commit on a thread of their own (`write` returns before the commit).
    public var commitsBehind: Bool { committer != nil }

    /// Time the caller's thread spent waiting for the commit thread (in `read`, `write` and
    /// `awaitCommitted`), in nanoseconds: `tally run`'s `timing_ms` `commit_wait`.
    public private(set) var commitWaitNanos: UInt64 = 0

    /// The last write handed to `write`, to wait for (0 before any, and always without a commit thread).
    public var lastWrite: UInt64 { committer?.lastTicket ?? 0 }

    /// Waits until write `ticket` (every write if nil) and those before it are committed;
    /// throws the error of the first commit that failed (then every later read and write
    /// throws it too).
    public func awaitCommitted(through ticket: UInt64? = nil) throws { try awaitCommit(through: ticket) }

    private func awaitCommit(through ticket: UInt64? = nil) throws {
        guard let committer else { return }
        let started = monotonicNanos()
        defer { commitWaitNanos &+= monotonicNanos() &- started }
        try committer.awaitEnded(through: ticket)
    }

    /// Whether write `ticket` and those before it are committed, without waiting; throws as `awaitCommitted`.
    public func isCommitted(through ticket: UInt64) throws -> Bool { try committer?.hasEnded(through: ticket) ?? true }

    /// Empties every table (a group task's cache that cannot be trusted, before it is
    /// restored from the changelog).
    public func clear() throws {
        try awaitCommit()
        try environment.write { txn in for db in databases { try txn.clear(db) } }
    }

    public var sizeOnDisk: Int { (try? environment.info().fileSizeBytes) ?? 0 }

    public func write<T>(_ body: (StateTransaction) throws -> T) throws -> T {
        guard let committer else {
            return try environment.write { txn in
                try body(Transaction(txn: txn.lent(), databases: databases, cursors: WriteCursors(count: databases.count)))
            }
        }
        try awaitCommit()
        return try withoutActuallyEscaping(body) { body in
            let handOff = BodyHandOff(body)
            committer.run { [environment, databases] finishBody in
                let txn: LMDBWriteTransaction
                do {
                    txn = try environment.beginWrite()
                } catch {
                    handOff.end(.failure(error))
                    finishBody()
                    return
                }
                do {
                    let value = try handOff.body!(Transaction(txn: txn.lent(), databases: databases,
                                                              cursors: WriteCursors(count: databases.count)))
                    handOff.end(.success(value))
                } catch {
                    txn.abort()
                    handOff.end(.failure(error))
                    finishBody()
                    return
                }
                finishBody()  // the rater's thread goes on while this one waits for the disk
                try txn.commit()
            }
            return try handOff.outcome!.get()
        }
    }

    public func read<T>(_ body: (StateTransaction) throws -> T) throws -> T {
        try awaitCommit()
        return try environment.read { txn in try body(Transaction(txn: txn.lent(), databases: databases, cursors: nil)) }
    }

    /// A write transaction's cursors, one per table, opened at the table's first put or
    /// delete and kept for the rest of the transaction (LMDB frees them when it ends, on
    /// whichever thread runs it): a batch's puts go in key order or at the end of their
    /// table, where a kept cursor saves each the descent from the root (`LMDBWriteCursor`).
    private final class WriteCursors {
        var cursors: [LMDBWriteCursor?]
        init(count: Int) { cursors = Array(repeating: nil, count: count) }
    }

    /// A view of a transaction that `LMDBEnvironment.write`/`read` owns and ends;
    /// valid only inside the closure it is handed to.
    private struct Transaction: StateTransaction {
        let txn: LMDBLentTransaction
        let databases: [LMDBDatabase]
        /// nil in a read transaction, whose puts LMDB refuses (through `txn`, with an error).
        let cursors: WriteCursors?

        /// The write cursor of `table`; nil in a read transaction.
        private func cursor(_ table: StateTable) throws -> LMDBWriteCursor? {
            guard let cursors else { return nil }
            if let cursor = cursors.cursors[table.rawValue] { return cursor }
            let cursor = try txn.writeCursor(databases[table.rawValue])
            cursors.cursors[table.rawValue] = cursor
            return cursor
        }

        func get(_ table: StateTable, _ key: [UInt8]) throws -> [UInt8]? {
            try txn.get(databases[table.rawValue], key: key)
        }

        func put(_ table: StateTable, _ key: [UInt8], _ value: [UInt8], append: Bool) throws {
            guard let cursor = try cursor(table) else {
                return try txn.put(databases[table.rawValue], key: key, value: value, options: append ? .append : [])
            }
            try key.withUnsafeBytes { k in
                try value.withUnsafeBytes { v in try cursor.put(key: k, value: v, options: append ? .append : []) }
            }
        }

        func put(_ table: StateTable, _ key: [UInt8], count: Int, append: Bool,
                 fill: (UnsafeMutableRawBufferPointer) -> Void) throws {
            let options: LMDBPutOptions = append ? .append : []
            let cursor = try cursor(table)
            try key.withUnsafeBytes { k in
                if let cursor {
                    try cursor.putReserving(key: k, count: count, options: options, fill)
                } else {
                    try txn.putReserving(databases[table.rawValue], key: k, count: count, options: options, fill)
                }
            }
        }

        func delete(_ table: StateTable, _ key: [UInt8]) throws {
            guard let cursor = try cursor(table) else {
                try txn.delete(databases[table.rawValue], key: key)
                return
            }
            try key.withUnsafeBytes { _ = try cursor.delete(key: $0) }
        }

        func scan(_ table: StateTable, from: [UInt8],
                  _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool) throws {
            try from.withUnsafeBytes { lower in
                try txn.forEach(in: databases[table.rawValue], from: from.isEmpty ? nil : lower) { entry in
                    try body(entry.key, entry.value)
                }
            }
        }
    }
}

/// A write's body and its outcome, between the rater's thread and the commit thread. The body
/// is the caller's non-escaping closure (`withoutActuallyEscaping`): `end` drops it before the
/// caller is woken, so nothing holds it once `write` returns.
private final class BodyHandOff<T> {
    private(set) var body: ((StateTransaction) throws -> T)?
    private(set) var outcome: Result<T, Error>?

    init(_ body: @escaping (StateTransaction) throws -> T) { self.body = body }

    func end(_ outcome: Result<T, Error>) {
        body = nil
        self.outcome = outcome
    }
}
