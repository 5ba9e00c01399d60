/// Interns byte strings so that the hot path carries 4-byte `Symbol`s instead of
/// `String`s. Not thread-safe: one table belongs to one partition worker.
///
/// Ids are dense and assigned in first-seen order starting at 1 (`Symbol.none` is 0),
/// so the table can be persisted incrementally (`forEachSymbol(after:)`) and rebuilt
/// with identical ids by interning the persisted strings again in id order
/// (`restore(_:as:)` checks that).
///
/// Layout: the bytes of every symbol live back to back in one growable arena; an
/// open-addressing table (linear probing, load ≤ 1/2) maps a 64-bit hash to the
/// symbol id. Looking up a string that is already interned allocates nothing.
/// Bytes are stored as given; they are not validated as UTF-8.
public final class SymbolTable {
    /// Where a symbol's bytes are in the arena.
    @usableFromInline struct Entry {
        @usableFromInline init(offset: Int, length: Int, hash: UInt64) {
            self.offset = offset; self.length = length; self.hash = hash
        }
        @usableFromInline var offset: Int
        @usableFromInline var length: Int
        @usableFromInline var hash: UInt64
    }

    // Exclusivity is not checked on these: only this class touches them, never re-entrantly,
    // and the runtime checks cost ~5% of decoding.
    @exclusivity(unchecked) @usableFromInline var arena: UnsafeMutableRawPointer
    @exclusivity(unchecked) @usableFromInline var arenaCount = 0
    @exclusivity(unchecked) @usableFromInline var arenaCapacity: Int
    /// `entries[raw]` describes symbol `raw`; index 0 is the unused slot of `Symbol.none`.
    @exclusivity(unchecked) @usableFromInline var entries: UnsafeMutablePointer<Entry>
    @exclusivity(unchecked) @usableFromInline var entryCount = 1
    @exclusivity(unchecked) @usableFromInline var entryCapacity: Int
    /// Each slot holds the hash's high 32 bits and the symbol id in the low 32 bits; 0
    /// means empty (ids are never 0). The hash bits reject most collisions without
    /// touching `entries`.
    @exclusivity(unchecked) @usableFromInline var slots: UnsafeMutablePointer<UInt64>
    @exclusivity(unchecked) @usableFromInline var slotMask: Int

    /// Creates an empty table sized for about `expectedSymbols` strings before it grows.
    public init(expectedSymbols: Int = 1024) {
        var slotCount = 16
        while slotCount < expectedSymbols * 2 { slotCount *= 2 }
        slots = .allocate(capacity: slotCount)
        slots.initialize(repeating: 0, count: slotCount)
        slotMask = slotCount - 1
        entryCapacity = max(16, expectedSymbols + 1)
        entries = .allocate(capacity: entryCapacity)
        entries.initialize(to: Entry(offset: 0, length: 0, hash: 0))
        arenaCapacity = max(256, expectedSymbols * 24)
        arena = .allocate(byteCount: arenaCapacity, alignment: 8)
    }

    deinit {
        slots.deallocate()
        entries.deallocate()
        arena.deallocate()
    }

    /// The number of interned strings; ids run from 1 through `count`.
    public var count: Int { entryCount - 1 }

    /// The symbol for `bytes`, adding it if it is new.
    @inlinable
    public func intern(_ bytes: UnsafeRawBufferPointer) -> Symbol {
        let hash = SymbolTable.hash(bytes)
        var index = Int(truncatingIfNeeded: hash) & slotMask
        let tag = hash & 0xFFFF_FFFF_0000_0000
        while true {
            let slot = slots[index]
            if slot == 0 { return insert(bytes, hash: hash, at: index) }
            if slot & 0xFFFF_FFFF_0000_0000 == tag {
                let raw = UInt32(truncatingIfNeeded: slot)
                if equals(raw, bytes) { return Symbol(raw: raw) }
            }
            index = (index &+ 1) & slotMask
        }
    }

    /// The symbol for `string`, adding it if it is new.
    public func intern(_ string: String) -> Symbol {
        var string = string
        return string.withUTF8 { intern(UnsafeRawBufferPointer($0)) }
    }

    /// The symbol for `bytes` if it is already interned; never adds.
    public func lookup(_ bytes: UnsafeRawBufferPointer) -> Symbol? {
        let hash = SymbolTable.hash(bytes)
        var index = Int(truncatingIfNeeded: hash) & slotMask
        let tag = hash & 0xFFFF_FFFF_0000_0000
        while true {
            let slot = slots[index]
            if slot == 0 { return nil }
            let raw = UInt32(truncatingIfNeeded: slot)
            if slot & 0xFFFF_FFFF_0000_0000 == tag, equals(raw, bytes) { return Symbol(raw: raw) }
            index = (index &+ 1) & slotMask
        }
    }

    /// The symbol for `string` if it is already interned; never adds.
    public func lookup(_ string: String) -> Symbol? {
        var string = string
        return string.withUTF8 { lookup(UnsafeRawBufferPointer($0)) }
    }

    /// Calls `body` with the bytes of `symbol` (empty for `Symbol.none`). The buffer is
    /// valid only during the call: interning may move the arena.
    @inlinable
    public func withBytes<R>(_ symbol: Symbol, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        precondition(Int(symbol.raw) < entryCount, "symbol \(symbol.raw) is not in this table")
        let entry = entries[Int(symbol.raw)]
        return try body(UnsafeRawBufferPointer(start: arena + entry.offset, count: entry.length))
    }

    /// A 64-bit hash of the bytes of `symbol` (0 for `Symbol.none`): the same for the same
    /// string in any table, whatever its id. Stored at interning: no hashing here.
    @inlinable
    public func contentHash(_ symbol: Symbol) -> UInt64 { entries[Int(symbol.raw)].hash }

    /// The text of `symbol`, decoded as UTF-8 (invalid bytes become U+FFFD).
    /// `Symbol.none` gives "". Allocates: keep it off the per-sample path.
    public func string(_ symbol: Symbol) -> String {
        withBytes(symbol) { String(decoding: $0, as: UTF8.self) }
    }

    /// Calls `body` for every symbol whose id is greater than `watermark`, in id order.
    /// Persist new symbols with `forEachSymbol(after: lastPersistedCount)` and then
    /// remember `count`.
    public func forEachSymbol(after watermark: Int,
                              _ body: (Symbol, UnsafeRawBufferPointer) throws -> Void) rethrows {
        var raw = max(watermark, 0) + 1
        while raw < entryCount {
            let entry = entries[raw]
            try body(Symbol(raw: UInt32(raw)), UnsafeRawBufferPointer(start: arena + entry.offset, count: entry.length))
            raw += 1
        }
    }

    /// Re-adds a persisted symbol while rebuilding a table. Fails (returns false) unless
    /// `symbol` is exactly the next id and `bytes` is not interned yet, which is the case
    /// when symbols are restored in id order into a table that started empty.
    @discardableResult
    public func restore(_ bytes: UnsafeRawBufferPointer, as symbol: Symbol) -> Bool {
        guard Int(symbol.raw) == entryCount, lookup(bytes) == nil else { return false }
        return intern(bytes) == symbol
    }
}
