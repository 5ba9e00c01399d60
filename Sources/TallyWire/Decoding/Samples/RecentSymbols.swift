import TallyCore

/// A small direct-mapped cache in front of the symbol table for the sample fields whose
/// values repeat from sample to sample (metric, unit, project, user): a hit costs two
/// loads, a multiply and a compare of at most 32 bytes, where interning hashes the whole
/// string and probes the table (~8% of a sample's decoding, callgrind, 7 Dec 2026).
///
/// Exact: an entry keeps the string's bytes and they are compared in full. The table
/// never forgets a symbol, so the cached one is what interning would return, and
/// interning a string that is already there changes nothing: the table's contents and
/// ids are the same with or without this cache. Not thread-safe: one per decoder.
final class RecentSymbols {
    static let capacity = 64  // a power of two
    static let maxLength = 32

    let symbols: SymbolTable
    /// Per entry: the string's length (-1: empty entry), its symbol and its bytes.
    private let lengths: UnsafeMutablePointer<Int>
    private let cached: UnsafeMutablePointer<Symbol>
    private let bytes: UnsafeMutableRawPointer

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
        let mixed = (words.head &+ UInt64(n)) &* 0x9E37_79B9_7F4A_7C15 ^ words.tail &* 0xC2B2_AE3D_27D4_EB4F
        let i = Int(truncatingIfNeeded: mixed >> 58)  // 6 bits: `capacity` entries
        let stored = bytes + i * Self.maxLength
        if lengths[i] == n && bytesEqual(stored, text.baseAddress!, n) { return cached[i] }
        return remember(text, at: i)
    }

    @inline(never)
    private func remember(_ text: UnsafeRawBufferPointer, at i: Int) -> Symbol {
        let symbol = symbols.intern(text)
        (bytes + i * Self.maxLength).copyMemory(from: text.baseAddress!, byteCount: text.count)
        lengths[i] = text.count
        cached[i] = symbol
        return symbol
    }
}
