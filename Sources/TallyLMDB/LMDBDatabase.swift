import CLMDB

/// A named database inside an `LMDBEnvironment`. A plain handle: cheap to copy and valid
/// for the lifetime of the environment that opened it (or until `drop(_:)` deletes it).
public struct LMDBDatabase: Hashable, Sendable {
    /// The LMDB `MDB_dbi` handle.
    public let handle: MDB_dbi
    /// The name it was opened with (`nil` for the unnamed main database); used in errors.
    public let name: String?

    init(handle: MDB_dbi, name: String?) {
        self.handle = handle
        self.name = name
    }

    var label: String { name ?? "<main>" }
}

/// Options for `put`.
public struct LMDBPutOptions: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `MDB_APPEND`: the key sorts after every existing key, so LMDB skips the search and
    /// fills pages completely. Fails with `isKeyExists` if the key is out of order.
    public static let append = LMDBPutOptions(rawValue: UInt32(MDB_APPEND))
    /// `MDB_NOOVERWRITE`: fail with `isKeyExists` instead of replacing an existing value.
    public static let noOverwrite = LMDBPutOptions(rawValue: UInt32(MDB_NOOVERWRITE))
}

/// Page-level statistics of one database (`mdb_stat`).
public struct LMDBDatabaseStatistics: Equatable, Sendable {
    /// Number of key/value pairs.
    public var entries: Int
    /// Depth of the B-tree.
    public var depth: Int
    public var pageSize: Int
    public var branchPages: Int
    public var leafPages: Int
    public var overflowPages: Int

    /// Bytes of pages this database occupies.
    public var bytesInUse: Int { (branchPages + leafPages + overflowPages) * pageSize }

    init(_ stat: MDB_stat) {
        entries = stat.ms_entries
        depth = Int(stat.ms_depth)
        pageSize = Int(stat.ms_psize)
        branchPages = stat.ms_branch_pages
        leafPages = stat.ms_leaf_pages
        overflowPages = stat.ms_overflow_pages
    }
}

/// A key/value pair as LMDB returns it: both buffers point into the memory map and stay
/// valid only until the transaction ends (in a write transaction, until the next write).
public struct LMDBEntry {
    public let key: UnsafeRawBufferPointer
    public let value: UnsafeRawBufferPointer
}

extension MDB_val {
    @inline(__always)
    init(_ buffer: UnsafeRawBufferPointer) {
        self.init(mv_size: buffer.count, mv_data: UnsafeMutableRawPointer(mutating: buffer.baseAddress))
    }

    @inline(__always)
    var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: mv_data, count: mv_size) }
}
