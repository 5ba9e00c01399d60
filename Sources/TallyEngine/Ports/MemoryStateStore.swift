/// A `StateStore` in memory with the same transactional behaviour as the LMDB
/// store (writes become visible only on commit), for tests of the engine alone.
public final class MemoryStateStore: StateStore {
    private var tables: [[[UInt8]: [UInt8]]] = Array(repeating: [:], count: StateTable.allCases.count)

    public init() {}

    public var sizeOnDisk: Int { tables.reduce(0) { $0 + $1.reduce(0) { $0 + $1.key.count + $1.value.count } } }

    public func write<T>(_ body: (StateTransaction) throws -> T) throws -> T {
        let txn = Transaction(tables: tables)
        let result = try body(txn)
        tables = txn.tables
        return result
    }

    public func read<T>(_ body: (StateTransaction) throws -> T) throws -> T {
        try body(Transaction(tables: tables))
    }

    private final class Transaction: StateTransaction {
        var tables: [[[UInt8]: [UInt8]]]
        init(tables: [[[UInt8]: [UInt8]]]) { self.tables = tables }

        func get(_ table: StateTable, _ key: [UInt8]) throws -> [UInt8]? { tables[table.rawValue][key] }
        func put(_ table: StateTable, _ key: [UInt8], _ value: [UInt8], append: Bool) throws {
            tables[table.rawValue][key] = value
        }
        func delete(_ table: StateTable, _ key: [UInt8]) throws { tables[table.rawValue][key] = nil }
        func scan(_ table: StateTable, from: [UInt8],
                  _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool) throws {
            let keys = tables[table.rawValue].keys.filter { !$0.lexicographicallyPrecedes(from) }.sorted { $0.lexicographicallyPrecedes($1) }
            for key in keys {
                let value = tables[table.rawValue][key]!
                let goOn = try key.withUnsafeBytes { k in try value.withUnsafeBytes { v in try body(k, v) } }
                if !goOn { return }
            }
        }
    }
}
