#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TallyCore

/// Remembers, per resource, the last few `resource_metadata` objects decoded for it (their
/// exact bytes) with what the metadata walk stored in each slot, so that a sample whose
/// metadata is byte for byte one seen before takes those slots without walking its ~30
/// members again. A resource's metadata rarely changes between polls; walking it was
/// about half of a polled sample's decoding (docs/ARCHITECTURE.md, "The hot path").
///
/// A hit is decided by comparing bytes (`memcmp`), never by a hash, so it cannot be
/// wrong: the cached bytes were a complete object that decoded without error, and JSON
/// objects are prefix-free, so input that starts with those bytes holds that object and
/// the walk would consume exactly them and store exactly those slots. Nothing about the
/// walk depends on what surrounds the object: repeated keys are checked within it, the
/// nesting limit counts from it, and the values were interned when it was first walked
/// (the symbol table never forgets, so a hit needs no interning). The resource only
/// chooses which entries to compare.
///
/// Memory is bounded: the entries' bytes live in one arena of at most `arenaBudget`
/// (30 MiB by default; when it is full the cache starts again empty), and the table
/// starts small and doubles as entries arrive, up to `maxSets` sets of
/// `ways` (2 MiB): 32 MiB per decoder at most.
/// Not thread-safe: one per decoder.
final class MetadataSpanCache {
    static let defaultArenaBudget = 30 << 20
    /// Entries compared per lookup: a resource whose metadata alternates between a few
    /// spellings (polled and notification samples of one instance) still hits.
    static let ways = 4
    static let initialSets = 64
    static let maxSets = 1 << 14

    private struct Entry {
        /// 0 when empty (no resource is `Symbol.none`).
        var resource: UInt32 = 0
        /// The quoting the bytes were read with: the same bytes mean other text in the other.
        var escaped = false
        var length = 0
        /// Arena offset of the bytes; the slots' outcomes follow at `outcomesOffset`.
        var offset = 0
        var outcomesOffset = 0
    }

    let slotCount: Int
    private let arenaBudget: Int
    @exclusivity(unchecked) private var entries: UnsafeMutablePointer<Entry>
    /// Per set, the way the next insertion replaces (round robin).
    @exclusivity(unchecked) private var nextWay: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private var setMask: Int
    /// 64 − log2(sets): a set is the top bits of the resource's id times 2⁶⁴/φ, which
    /// spreads ids handed out one after another (symbols are) evenly over the sets.
    @exclusivity(unchecked) private var setShift: Int
    @exclusivity(unchecked) private var liveEntries = 0
    @exclusivity(unchecked) private var arena: UnsafeMutableRawPointer
    @exclusivity(unchecked) private var arenaCapacity: Int
    @exclusivity(unchecked) private var arenaUsed = 0

    /// The arena's size now (at most `arenaBudget`).
    var arenaBytes: Int { arenaCapacity }
    /// How often a full arena made the cache start over.
    private(set) var resets = 0

    /// Lookups that found their bytes, and lookups that did not (since creation).
    private(set) var hits = 0
    private(set) var misses = 0

    init(slotCount: Int, arenaBudget: Int = MetadataSpanCache.defaultArenaBudget) {
        self.slotCount = slotCount
        self.arenaBudget = arenaBudget
        setMask = Self.initialSets - 1
        setShift = 64 - Self.initialSets.trailingZeroBitCount
        entries = .allocate(capacity: Self.initialSets * Self.ways)
        entries.initialize(repeating: Entry(), count: Self.initialSets * Self.ways)
        nextWay = .allocate(capacity: Self.initialSets)
        nextWay.initialize(repeating: 0, count: Self.initialSets)
        arenaCapacity = min(64 << 10, arenaBudget)
        arena = .allocate(byteCount: arenaCapacity, alignment: 16)
    }

    deinit {
        entries.deallocate()
        nextWay.deallocate()
        arena.deallocate()
    }

    /// What the walk of an object found for one slot.
    struct SlotOutcome {
        /// The value it stored and the rank of its path; `.max` if it stored none.
        var value: MetaValue
        var rank: Int
        /// The walk saw every path of the slot ranked below `bound` (those not outranked
        /// by the value the slot already held when the walk began), so its outcome holds
        /// for a slot holding a rank ≤ `bound`.
        var bound: Int
    }

    /// What a hit gives back: the object's length in bytes and one outcome per slot.
    struct Hit {
        var length: Int
        var outcomes: UnsafePointer<SlotOutcome>
    }

    /// The entry of `resource` whose bytes `text` (the rest of the input, starting at the
    /// object's `{`) begins with, if any.
    @inline(__always)
    func lookup(resource: Symbol, escaped: Bool, text: UnsafeRawBufferPointer) -> Hit? {
        let set = setIndex(of: resource)
        let ways = entries + set * Self.ways
        for w in 0..<Self.ways {
            let entry = ways[w]
            guard entry.resource == resource.raw, entry.escaped == escaped, entry.length <= text.count,
                  memcmp(arena + entry.offset, text.baseAddress!, entry.length) == 0 else { continue }
            hits += 1
            return Hit(length: entry.length,
                       outcomes: UnsafePointer((arena + entry.outcomesOffset).assumingMemoryBound(to: SlotOutcome.self)))
        }
        misses += 1
        return nil
    }

    /// Remembers that walking the object `bytes` for `resource` found `outcomes` (one per
    /// slot), and returns where they are to be written (before the next call).
    func insert(resource: Symbol, escaped: Bool, bytes: UnsafeRawBufferPointer) -> UnsafeMutablePointer<SlotOutcome>? {
        let outcomesOffsetInEntry = (bytes.count + 7) & ~7
        let size = outcomesOffsetInEntry + slotCount * MemoryLayout<SlotOutcome>.stride
        guard size <= arenaBudget / 4 else { return nil }  // a huge object would evict everything for one entry
        // At most half full, so that a set rarely overflows (ids spread evenly, see `setShift`).
        if liveEntries * 2 >= (setMask + 1) * Self.ways, setMask + 1 < Self.maxSets {
            grow()
        }
        if arenaUsed + size > arenaCapacity && !growArena(toFit: arenaUsed + size) {
            reset()
            resets += 1
        }
        let offset = arenaUsed
        arenaUsed += size
        (arena + offset).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)

        place(Entry(resource: resource.raw, escaped: escaped, length: bytes.count,
                    offset: offset, outcomesOffset: offset + outcomesOffsetInEntry))
        return (arena + offset + outcomesOffsetInEntry).bindMemory(to: SlotOutcome.self, capacity: slotCount)
    }

    @inline(__always)
    private func setIndex(of resource: Symbol) -> Int {
        Int(truncatingIfNeeded: (UInt64(resource.raw) &* 0x9E37_79B9_7F4A_7C15) >> UInt64(setShift))
    }

    /// Doubles the arena if the budget allows; false when it does not.
    private func growArena(toFit needed: Int) -> Bool {
        let capacity = min(max(needed, arenaCapacity * 2), arenaBudget)
        guard capacity >= needed else { return false }
        let grown = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        grown.copyMemory(from: arena, byteCount: arenaUsed)
        arena.deallocate()
        arena = grown
        arenaCapacity = capacity
        return true
    }

    /// Doubles the table, moving its entries to their sets in the new one (a set that
    /// overflows keeps the last ones moved).
    private func grow() {
        let oldEntries = entries, oldCount = (setMask + 1) * Self.ways
        let sets = (setMask + 1) * 2
        nextWay.deallocate()
        entries = .allocate(capacity: sets * Self.ways)
        entries.initialize(repeating: Entry(), count: sets * Self.ways)
        nextWay = .allocate(capacity: sets)
        nextWay.initialize(repeating: 0, count: sets)
        setMask = sets - 1
        setShift -= 1
        liveEntries = 0
        for i in 0..<oldCount where oldEntries[i].resource != 0 {
            place(oldEntries[i])
        }
        oldEntries.deallocate()
    }

    @inline(__always)
    private func place(_ entry: Entry) {
        let set = setIndex(of: Symbol(raw: entry.resource))
        let way = Int(nextWay[set])
        nextWay[set] = UInt8((way + 1) % Self.ways)
        if entries[set * Self.ways + way].resource == 0 { liveEntries += 1 }
        entries[set * Self.ways + way] = entry
    }

    /// Forgets every entry.
    private func reset() {
        entries.initialize(repeating: Entry(), count: (setMask + 1) * Self.ways)
        nextWay.initialize(repeating: 0, count: setMask + 1)
        arenaUsed = 0
        liveEntries = 0
    }
}
