import CLMDB
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Environment-wide figures for monitoring and benchmarks.
public struct LMDBEnvironmentInfo: Equatable, Sendable {
    /// The configured map size (the upper bound on the data file).
    public var mapSize: Int
    public var pageSize: Int
    /// Pages in use up to the last one written, in bytes: what the B-trees occupy.
    public var usedBytes: Int
    /// Size of `data.mdb` on disk, in bytes.
    public var fileSizeBytes: Int
    public var maxReaders: Int
    public var readersInUse: Int
    /// Entries in the unnamed main database; with named databases that is their count.
    public var mainDatabaseEntries: Int
}

extension LMDBEnvironment {
    /// Reads `mdb_env_info`, `mdb_env_stat` and the size of `data.mdb`.
    public func info() throws -> LMDBEnvironmentInfo {
        var envInfo = MDB_envinfo()
        var envStat = MDB_stat()
        try check(mdb_env_info(env, &envInfo), "mdb_env_info(\(path))")
        try check(mdb_env_stat(env, &envStat), "mdb_env_stat(\(path))")
        var fileStat = stat()
        let fileSize = stat(path + "/data.mdb", &fileStat) == 0 ? Int(fileStat.st_size) : 0
        return LMDBEnvironmentInfo(
            mapSize: envInfo.me_mapsize,
            pageSize: Int(envStat.ms_psize),
            usedBytes: (envInfo.me_last_pgno + 1) * Int(envStat.ms_psize),
            fileSizeBytes: fileSize,
            maxReaders: Int(envInfo.me_maxreaders),
            readersInUse: Int(envInfo.me_numreaders),
            mainDatabaseEntries: envStat.ms_entries)
    }

    /// Grows (or shrinks) the map. Only when no transaction is active in this process,
    /// e.g. after a write failed with `isMapFull` and was aborted.
    public func setMapSize(_ bytes: Int) throws {
        try check(mdb_env_set_mapsize(env, bytes), "mdb_env_set_mapsize(\(bytes)) in \(path)")
    }
}
