/// A key the rule-log fold's tables hash from its UTF-8 bytes (ASCII names; others take
/// `String`'s own hash, see `ByteHash.of(_:)`) with a cheap multiply-mix instead of `Hasher` (SipHash, seeded per use: its setup alone was ~4% of the fold and
/// a mapping create probed nine or ten times). The keys are the log's own names and ids,
/// written by authenticated rule writers, not arbitrary network input, so a hash that is
/// not flood-resistant is acceptable here.
protocol ByteHashKey: Equatable {
    var byteHash: UInt64 { get }
}

enum ByteHash {
    static let multiplier: UInt64 = 0x9E37_79B9_7F4A_7C15

    static func mix(_ h: UInt64, _ word: UInt64) -> UInt64 {
        let m = (h ^ word) &* multiplier
        return m ^ (m >> 29)
    }

    /// A string's hash, agreeing with `String.==`: for ASCII text `==` compares bytes, so
    /// the bytes' hash does; beyond ASCII `==` is canonical equivalence ("é" precomposed
    /// equals "e" + U+0301), which bytes cannot see, so such a key takes `String`'s own
    /// hash (seeded per process, as the tables live in memory only). Keys that `==` calls
    /// equal must hash equally, or the table (which compares hashes first) would hold apart
    /// what every `Dictionary` of the same names, before and elsewhere, treats as one.
    static func of(_ string: String) -> UInt64 {
        let ascii: UInt64?? = string.utf8.withContiguousStorageIfAvailable { asciiHash(UnsafeRawBufferPointer($0)) }
        if case .some(.some(let h)) = ascii { return h }
        if ascii == nil, string.utf8.allSatisfy({ $0 < 0x80 }) { return of(Array(string.utf8)) }
        return UInt64(bitPattern: Int64(string.hashValue))
    }

    /// `of(bytes)` when every byte is ASCII, nil otherwise, in one pass of whole words: the
    /// fold hashes about ten names per event, and a byte loop for the ASCII test and another
    /// for the tail were half of it (RuleLogByteHashTableTests holds it to `of(bytes)`).
    @inline(__always)
    static func asciiHash(_ raw: UnsafeRawBufferPointer) -> UInt64? {
        var (h, high) = words(raw)
        let tail = tailWord(raw)
        high |= tail
        guard high & 0x8080_8080_8080_8080 == 0 else { return nil }
        return mix(mix(h, tail), UInt64(raw.count))
    }

    /// The bytes eight at a time, then the tail and the length.
    static func of(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let raw = UnsafeRawBufferPointer(bytes)
        return mix(mix(words(raw).hash, tailWord(raw)), UInt64(raw.count))
    }

    /// The hash of the whole eight-byte words from `raw`'s start, and their bits or-ed.
    @inline(__always)
    private static func words(_ raw: UnsafeRawBufferPointer) -> (hash: UInt64, or: UInt64) {
        var h: UInt64 = 0x243F_6A88_85A3_08D3
        var high: UInt64 = 0
        var i = 0
        while i + 8 <= raw.count {
            let word = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            high |= word
            h = mix(h, word)
            i += 8
        }
        return (h, high)
    }

    /// The last `count % 8` bytes as one word, the first of them lowest, read as at most
    /// three loads (4, 2 and 1 bytes) instead of a byte at a time.
    @inline(__always)
    static func tailWord(_ raw: UnsafeRawBufferPointer) -> UInt64 {
        var at = raw.count & ~7
        let rest = raw.count & 7
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        if rest & 4 != 0 {
            tail = UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
            at += 4; shift = 32
        }
        if rest & 2 != 0 {
            tail |= UInt64(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt16.self))) << shift
            at += 2; shift += 16
        }
        if rest & 1 != 0 { tail |= UInt64(raw[at]) << shift }
        return tail
    }

    static func of(_ bytes: [UInt8]) -> UInt64 { bytes.withUnsafeBufferPointer(of) }
}

extension String: ByteHashKey {
    var byteHash: UInt64 { ByteHash.of(self) }
}

extension RuleTarget: ByteHashKey {
    var byteHash: UInt64 {
        switch self {
        case .group(let name): return ByteHash.mix(1, name.byteHash)
        case .service(let name): return Self.serviceHash(name: name.byteHash)
        case .field(let service, let name): return Self.fieldHash(service: service.byteHash, name: name.byteHash)
        case .rule(_, let id): return Self.ruleHash(id: id.byteHash)
        }
    }

    /// A target's hash from its names' hashes, for callers that hashed a name already: a
    /// mapping's service for its field too, a new rule's id for `ruleKinds` and its target.
    static func serviceHash(name: UInt64) -> UInt64 { ByteHash.mix(2, name) }
    static func fieldHash(service: UInt64, name: UInt64) -> UInt64 { ByteHash.mix(ByteHash.mix(3, service), name) }
    static func ruleHash(id: UInt64) -> UInt64 { ByteHash.mix(4, id) }
}

/// Keys to values by open addressing (linear probing, at most half full) over `ByteHashKey`.
/// Insert only: the fold never forgets a target, a rule id or an event id. A lookup can
/// hand back where a missing key goes (`Probe`), so checking and inserting cost one search.
/// Equality and hashing ignore insertion order, like a `Dictionary`'s (a state decoded from
/// a snapshot inserts event ids in another order than the fold that wrote it).
struct ByteHashTable<Key: ByteHashKey & Sendable, Value: Sendable>: Sendable {
    /// Per slot: the entry's index plus one (0: empty) beside the high half of its key's hash
    /// (the low half chose the slot), in one array so that a probe step reads one cache line,
    /// not one in each of two arrays (the event ids' table holds every accepted id: most
    /// probes there miss the cache). Eight bytes a slot, not sixteen with the whole hash: the
    /// four tables of a bulk fold reserved for 100,000 events hold 2^18 slots each, 8 MiB of
    /// slots against 16 MiB, probed at random, so more of them stay in the cache.
    private var slots: [Slot] = Array(repeating: Slot(), count: 16)
    private(set) var keys: [Key] = []
    private(set) var values: [Value] = []

    init() {}

    var count: Int { keys.count }

    /// Where a key was found (`entry`), or the slot it would go in.
    struct Probe {
        var hash: UInt64
        var slot: Int
        var entry: Int?
    }

    func probe(_ key: Key) -> Probe { probe(key, hash: key.byteHash) }

    /// `probe(key)` with the key's `byteHash` already known (the fold derives a target's hash
    /// from a name it hashed for another table). `hash` must be `key.byteHash`: another value
    /// finds nothing or the wrong slot (RuleLogByteHashTableTests holds the derivations to it).
    func probe(_ key: Key, hash: UInt64) -> Probe {
        let mask = slots.count - 1
        let tag = Slot.tag(hash)
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let stored = slots[slot]
            if stored.entry == 0 { return Probe(hash: hash, slot: slot, entry: nil) }
            if stored.tag == tag && keys[Int(stored.entry) - 1] == key {
                return Probe(hash: hash, slot: slot, entry: Int(stored.entry) - 1)
            }
            slot = (slot + 1) & mask
        }
    }

    subscript(key: Key) -> Value? {
        probe(key).entry.map { values[$0] }
    }

    func contains(_ key: Key) -> Bool { probe(key).entry != nil }

    /// Sets `key`'s value, given a probe for it made since the last change to the table.
    mutating func set(_ value: Value, for key: Key, at probe: Probe) {
        if let entry = probe.entry { values[entry] = value; return }
        keys.append(key)
        values.append(value)
        slots[probe.slot] = Slot(tag: Slot.tag(probe.hash), entry: UInt32(keys.count))
        if keys.count * 2 > slots.count { rehash(capacity: slots.count * 2) }
    }

    mutating func set(_ value: Value, for key: Key) {
        set(value, for: key, at: probe(key))
    }

    /// Changes `key`'s value in place, starting from `initial` when it has none.
    mutating func update(_ key: Key, default initial: @autoclosure () -> Value, _ body: (inout Value) -> Void) {
        update(key, at: probe(key), default: initial(), body)
    }

    /// `update`, given a probe for `key` made since the last insert into the table.
    mutating func update(_ key: Key, at probe: Probe, default initial: @autoclosure () -> Value,
                         _ body: (inout Value) -> Void) {
        if let entry = probe.entry { body(&values[entry]); return }
        var value = initial()
        body(&value)
        set(value, for: key, at: probe)
    }

    mutating func updateIfPresent(_ key: Key, _ body: (inout Value) -> Void) {
        if let entry = probe(key).entry { body(&values[entry]) }
    }

    /// Room for `count` keys without growing.
    mutating func reserve(_ count: Int) {
        keys.reserveCapacity(count)
        values.reserveCapacity(count)
        var capacity = slots.count
        while count * 2 > capacity { capacity *= 2 }
        if capacity > slots.count { rehash(capacity: capacity) }
    }

    private mutating func rehash(capacity: Int) {
        var newSlots = [Slot](repeating: Slot(), count: capacity)
        let mask = capacity - 1
        // The slots keep half of each hash: the keys give the whole of it again.
        for stored in slots where stored.entry != 0 {
            let hash = keys[Int(stored.entry) - 1].byteHash
            var target = Int(truncatingIfNeeded: hash) & mask
            while newSlots[target].entry != 0 { target = (target + 1) & mask }
            newSlots[target] = stored
        }
        slots = newSlots
    }

    struct Slot: Sendable {
        /// The high half of the key's hash.
        var tag: UInt32 = 0
        var entry: UInt32 = 0

        static func tag(_ hash: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: hash >> 32) }
    }
}

extension ByteHashTable: Equatable where Value: Equatable {
    static func == (lhs: Self, rhs: Self) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for (key, value) in zip(lhs.keys, lhs.values) where rhs[key] != value { return false }
        return true
    }
}

extension ByteHashTable: Hashable where Value: Hashable {
    /// Order-independent, like `==`: the count and the sum of the keys' byte hashes.
    func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        hasher.combine(keys.reduce(UInt64(0)) { $0 &+ $1.byteHash })
    }
}
