import CLMDB

/// Every failure of the LMDB adapter: the mdb return code, LMDB's own message for it
/// (`mdb_strerror`), and the operation that failed (e.g. `"mdb_put(usage)"`).
///
/// "Key not found" is never an error here: lookups return `nil` and cursors return `nil`
/// at the end of data. Anything else a cursor meets (corruption, a bad handle) is thrown,
/// so damaged data never looks like the end of a range.
public struct LMDBError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The raw return code: an errno value or one of LMDB's `MDB_*` codes.
    public let code: Int32
    /// `mdb_strerror(code)`.
    public let message: String
    /// What the adapter was doing, with the database name when one is involved.
    public let operation: String

    public init(code: Int32, operation: String) {
        self.code = code
        self.message = String(cString: mdb_strerror(code))
        self.operation = operation
    }

    public var description: String { "LMDB \(operation) failed: \(message) (code \(code))" }

    /// The map (`mapSize`) is full: abort the transaction, then grow the map or free space.
    public var isMapFull: Bool { code == MDB_MAP_FULL }
    /// A put with `.noOverwrite` met an existing key, or `.append` got a key out of order.
    public var isKeyExists: Bool { code == MDB_KEYEXIST }
    /// More named databases were opened than `maxDatabases` allows.
    public var isDatabasesFull: Bool { code == MDB_DBS_FULL }
    /// A named database does not exist and was not asked to be created.
    public var isNotFound: Bool { code == MDB_NOTFOUND }
}

/// Throws `LMDBError` for any non-zero return code.
@inline(__always)
func check(_ code: Int32, _ operation: @autoclosure () -> String) throws {
    if code != MDB_SUCCESS { throw LMDBError(code: code, operation: operation()) }
}
