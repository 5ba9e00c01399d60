import TallyCore

/// A small cache in front of the symbol table for the sample fields whose values repeat
/// from sample to sample (metric, unit, project, user): a hit costs a few loads and
/// multiplies and a compare of at most 32 bytes, where interning hashes the whole string
/// and probes the table (~8% of a sample's decoding, callgrind, 7 Dec 2026).
///
/// Each string has two candidate entries (two bit fields of one mix of all its bytes), so
/// that two strings whose first entries clash both stay: direct-mapped with 64 entries, a dozen names already shared
/// entries (`memory` with `vcpu`, `network.incoming.bytes` with `network.outgoing.bytes`)
/// and evicted each other at every other sample, 0.72 lookups a sample going to the table
/// in the decode bench (branch decode7).
///
/// Exact: an entry keeps the string's bytes and they are compared in full. The table
/// never forgets a symbol, so the cached one is what interning would return, and
/// interning a string that is already there changes nothing: the table's contents and
/// ids are the same with or without this cache. Not thread-safe: one per decoder.
final class RecentSymbols {
    static let capacity = 256  // a power of two: `entryBits` bits index it
    static let entryBits: UInt64 = 8
    static let maxLength = 32

    let symbols: SymbolTable
    /// Per entry: the string's length (-1: empty entry), its symbol and its bytes.
    private let lengths: UnsafeMutablePointer<Int>
    private let cached: UnsafeMutablePointer<Symbol>
    private let bytes: UnsafeMutableRawPointer
    /// Lookups that went to the table (counted on that path only): for tests.
    private(set) var misses = 0

    init(symbols: SymbolTable) {
        self.symbols = symbols
        lengths = .allocate(capacity: Self.capacity)
        lengths.initialize(repeating: -1, count: Self.capacity)
        cached = .allocate(capacity: Self.capacity)
        cached.initialize(repeating: .none, count: Self.capacity)
        bytes = .allocate(byteCount: Self.capacity * Self.maxLength, alignment: 8)
    }

    deinit {
        lengths.deallocate()
        cached.deallocate()
        bytes.deallocate()
    }

    /// The symbol for `text`, as `symbols.intern(text)` returns it.
    @inline(__always)
    func intern(_ text: UnsafeRawBufferPointer) -> Symbol {
        let n = text.count
        guard n > 0 && n <= Self.maxLength else { return symbols.intern(text) }
        let words = KeyWords(text)
        var mixed = (words.head &+ UInt64(n)) &* 0x9E37_79B9_7F4A_7C15 ^ words.tail &* 0xC2B2_AE3D_27D4_EB4F
        if n > 16 {
            // Meter names often share their first and last eight bytes
            // (`network.incoming.bytes`, `network.outgoing.bytes`): without the middle they
            // took one entry and evicted each other at every other sample. The words at 8
            // and n - 16 with the head and tail cover every byte up to `maxLength`.
            let p = text.baseAddress!
            mixed ^= p.loadUnaligned(fromByteOffset: 8, as: UInt64.self) &* 0x1656_67B1_9E37_79F9
                ^ p.loadUnaligned(fromByteOffset: n - 16, as: UInt64.self) &* 0x85EB_CA77_C2B2_AE63
        }
        let first = Int(truncatingIfNeeded: mixed >> (64 - Self.entryBits))
        let second = Int(truncatingIfNeeded: mixed >> (64 - 2 * Self.entryBits)) & (Self.capacity - 1)
        if lengths[first] == n && bytesEqual(bytes + first * Self.maxLength, text.baseAddress!, n) { return cached[first] }
        if lengths[second] == n && bytesEqual(bytes + second * Self.maxLength, text.baseAddress!, n) { return cached[second] }
        return remember(text, first: first, second: second)
    }

    /// Interns `text` and keeps it in its first entry if that is free, else in its second
    /// if that is, else in the first again (a cache may forget).
    @inline(never)
    private func remember(_ text: UnsafeRawBufferPointer, first: Int, second: Int) -> Symbol {
        misses += 1
        let symbol = symbols.intern(text)
        let i = lengths[first] >= 0 && lengths[second] < 0 ? second : first
        (bytes + i * Self.maxLength).copyMemory(from: text.baseAddress!, byteCount: text.count)
        lengths[i] = text.count
        cached[i] = symbol
        return symbol
    }
}
