/// The tables of the rater's durable state. One write transaction per batch
/// covers all of them, which is what makes a crash at any instant harmless.
public enum StateTable: Int, CaseIterable, Sendable {
    /// topic/partition → next offset to read (Int64, big-endian).
    case offsets
    /// window key (24 bytes, window-major) → encoded `WindowRecord`.
    case windows
    /// batch sequence (8) → latest event time (8) + the batch's sample keys (16 each).
    case dedupe
    /// sequence number (8, big-endian) → encoded `OutboxEntry`. Sent after commit.
    case outbox
    /// symbol id (4, big-endian) → the symbol's bytes.
    case symbols
    /// named values: counters, chain heads, sequence numbers.
    case meta
    /// scope (4) + metric (4) + window start (8) + resource (4) + group (4) → the
    /// closed window's rated quantity: cumulative usage for tiered pricing.
    case tierUsage
    /// metric (4) + scope (4) + resource (4) + group (4) → the latest closed window of
    /// an `increase` series and its last point: the baseline across a gap (`CounterMarks`).
    case counterMarks

    public var name: String {
        switch self {
        case .offsets: return "offsets"
        case .windows: return "windows"
        case .dedupe: return "dedupe"
        case .outbox: return "outbox"
        case .symbols: return "symbols"
        case .meta: return "meta"
        case .tierUsage: return "tier_usage"
        case .counterMarks: return "counter_marks"
        }
    }
}

/// One transaction over the state tables. Implementations must surface every
/// storage error (never report corruption as "not found" or end of data).
public protocol StateTransaction {
    func get(_ table: StateTable, _ key: [UInt8]) throws -> [UInt8]?
    /// `append` promises the key sorts after every key in the table (a fast path).
    func put(_ table: StateTable, _ key: [UInt8], _ value: [UInt8], append: Bool) throws
    /// Puts a value of `count` bytes that `fill` writes in place, all of them. LMDB reserves
    /// the space in its page (`MDB_RESERVE`) and `fill` writes there: no array is built for
    /// the value and its bytes are not copied again (the outbox's ~2 KB frames, the dedupe
    /// record's ~32 bytes per sample). The default builds the array and calls `put`.
    func put(_ table: StateTable, _ key: [UInt8], count: Int, append: Bool,
             fill: (UnsafeMutableRawBufferPointer) -> Void) throws
    func delete(_ table: StateTable, _ key: [UInt8]) throws
    /// Visits entries with key ≥ `from` in key order until `body` returns false.
    func scan(_ table: StateTable, from: [UInt8], _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool) throws
}

extension StateTransaction {
    public func put(_ table: StateTable, _ key: [UInt8], count: Int, append: Bool,
                    fill: (UnsafeMutableRawBufferPointer) -> Void) throws {
        let value = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            fill(UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
        try put(table, key, value, append: append)
    }
}

/// Durable state: LMDB in production (TallyRuntime), memory in unit tests.
public protocol StateStore: AnyObject {
    /// Runs `body` in one write transaction, committed durably if `body` returns.
    func write<T>(_ body: (StateTransaction) throws -> T) throws -> T
    /// Runs `body` in a read-only snapshot.
    func read<T>(_ body: (StateTransaction) throws -> T) throws -> T
    /// Bytes used on disk, for metrics and the benchmark.
    var sizeOnDisk: Int { get }
}
