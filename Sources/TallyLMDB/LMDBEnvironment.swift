import CLMDB

/// An open LMDB environment: one directory holding `data.mdb` and `lock.mdb`.
///
/// Threading: the environment itself may be shared between threads. It is always opened
/// with `MDB_NOTLS`, so a read transaction is not tied to the thread that began it (it may
/// be handed to another thread, but used by one at a time). A write transaction belongs to
/// the thread that began it; LMDB allows one writer at a time per environment, and a thread
/// that begins a second write transaction while holding one deadlocks.
// @unchecked: the MDB_env handle is safe to share (see above); the rules for
// transactions are documented, not enforced by the type system.
public final class LMDBEnvironment: @unchecked Sendable {
    /// Environment flags beyond the ones the adapter always sets.
    public struct Flags: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        /// `MDB_NOSYNC`: commits do not fsync. A crash of the OS (not of the process) may lose
        /// or corrupt recent commits. For benchmarks and throwaway state only.
        public static let noSync = Flags(rawValue: UInt32(MDB_NOSYNC))
        /// `MDB_NOMETASYNC`: fsync data but not the meta page; a system crash may undo the
        /// last commit but keeps the database consistent.
        public static let noMetaSync = Flags(rawValue: UInt32(MDB_NOMETASYNC))
        /// `MDB_WRITEMAP`: write through a writable memory map (faster, less safe against
        /// stray writes).
        public static let writeMap = Flags(rawValue: UInt32(MDB_WRITEMAP))
        /// `MDB_NORDAHEAD`: turn off OS read-ahead, useful when the data set exceeds RAM.
        public static let noReadAhead = Flags(rawValue: UInt32(MDB_NORDAHEAD))
        /// `MDB_RDONLY`: open read-only.
        public static let readOnly = Flags(rawValue: UInt32(MDB_RDONLY))
    }

    /// The directory this environment lives in.
    public let path: String
    private var handle: OpaquePointer?

    /// Opens (creating files if needed) the environment in the existing directory `path`.
    ///
    /// - Parameters:
    ///   - mapSize: the maximum size of the database in bytes. Writes beyond it fail with
    ///     `LMDBError.isMapFull`. Virtual address space only: the file grows as data does.
    ///   - maxDatabases: how many named databases may be opened.
    ///   - maxReaders: concurrent read transactions allowed.
    public init(path: String, mapSize: Int, maxDatabases: Int = 16, maxReaders: Int = 126,
                flags: Flags = []) throws {
        self.path = path
        var env: OpaquePointer?
        try check(mdb_env_create(&env), "mdb_env_create")
        do {
            try check(mdb_env_set_mapsize(env, mapSize), "mdb_env_set_mapsize(\(mapSize))")
            try check(mdb_env_set_maxdbs(env, MDB_dbi(maxDatabases)), "mdb_env_set_maxdbs(\(maxDatabases))")
            try check(mdb_env_set_maxreaders(env, UInt32(maxReaders)), "mdb_env_set_maxreaders(\(maxReaders))")
            try check(mdb_env_open(env, path, flags.rawValue | UInt32(MDB_NOTLS), 0o644), "mdb_env_open(\(path))")
        } catch {
            mdb_env_close(env)
            throw error
        }
        handle = env
    }

    deinit { close() }

    /// Closes the environment. Idempotent. Every transaction must have ended first, and no
    /// other thread may be using the environment.
    public func close() {
        if let env = handle {
            mdb_env_close(env)
            handle = nil
        }
    }

    /// The raw `MDB_env*`; traps if the environment was closed (a programming error).
    var env: OpaquePointer {
        guard let env = handle else { preconditionFailure("LMDBEnvironment at \(path) used after close()") }
        return env
    }

    /// Opens (and, with `create`, creates) a named database. Runs its own write transaction,
    /// so it must not be called by a thread that holds a write transaction. Open each
    /// database once at start-up and keep the handle.
    public func openDatabase(named name: String, create: Bool = true) throws -> LMDBDatabase {
        let txn = try beginWrite()
        var dbi: MDB_dbi = 0
        let rc = mdb_dbi_open(txn.handle, name, create ? UInt32(MDB_CREATE) : 0, &dbi)
        if rc != MDB_SUCCESS {
            txn.abort()
            throw LMDBError(code: rc, operation: "mdb_dbi_open(\(name))")
        }
        try txn.commit()
        return LMDBDatabase(handle: dbi, name: name)
    }

    /// Begins a write transaction on the calling thread. It must be committed or aborted on
    /// this thread; the type system ensures it is ended exactly once.
    public func beginWrite() throws -> LMDBWriteTransaction {
        var txn: OpaquePointer?
        try check(mdb_txn_begin(env, nil, 0, &txn), "mdb_txn_begin(write) in \(path)")
        return LMDBWriteTransaction(handle: txn!)
    }

    /// Begins a read-only snapshot transaction.
    public func beginRead() throws -> LMDBReadTransaction {
        var txn: OpaquePointer?
        try check(mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &txn), "mdb_txn_begin(read) in \(path)")
        return LMDBReadTransaction(handle: txn!)
    }

    /// Runs `body` in a write transaction: commits if it returns, aborts if it throws.
    /// Nothing `body` reads from the map (buffers) may be returned out of it.
    public func write<R>(_ body: (borrowing LMDBWriteTransaction) throws -> R) throws -> R {
        let txn = try beginWrite()
        let result: R
        do {
            result = try body(txn)
        } catch {
            txn.abort()
            throw error
        }
        try txn.commit()
        return result
    }

    /// Runs `body` in a read transaction, ended when `body` returns or throws.
    public func read<R>(_ body: (borrowing LMDBReadTransaction) throws -> R) throws -> R {
        let txn = try beginRead()
        let result: R
        do {
            result = try body(txn)
        } catch {
            txn.end()
            throw error
        }
        txn.end()
        return result
    }

    /// Flushes buffers to disk; with `.noSync` environments this is how durability is forced.
    public func sync(force: Bool = true) throws {
        try check(mdb_env_sync(env, force ? 1 : 0), "mdb_env_sync(\(path))")
    }
}
