// Insertion, comparison, growth and hashing for SymbolTable.
extension SymbolTable {
    /// A fast 64-bit hash of `bytes`, eight bytes per step, with a final avalanche so
    /// that the low bits (the probe index) and the high bits (the slot tag) both mix.
    @inlinable
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let count = bytes.count
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: count)
        guard let base = bytes.baseAddress else { return avalanche(h) }
        var i = 0
        while i + 8 <= count {
            let word = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h = (h ^ word) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 29
            i += 8
        }
        if i < count {
            h = (h ^ tailWord(base, count: count, from: i)) &* 0xC4CE_B9FE_1A85_EC53
        }
        return avalanche(h)
    }

    /// The last `count - from` bytes (1 to 7) as a little-endian word, zero above them:
    /// the value the hash has always mixed in (byte `from` lowest), which persisted
    /// content hashes (`contentHash`) depend on. Read with one load that ends at the last
    /// byte (shifted down past the bytes already hashed) or, below eight bytes, two that
    /// overlap, instead of a byte at a time. `tailWordReference` is the byte loop this
    /// must equal (SymbolHashPropertyTests). `from` is where the eight-byte steps stopped,
    /// so 0 for a string shorter than eight bytes.
    @inlinable @inline(__always)
    static func tailWord(_ base: UnsafeRawPointer, count: Int, from: Int) -> UInt64 {
        #if _endian(little)
        let rest = count - from
        if count >= 8 {
            return base.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self) >> UInt64(8 * (8 - rest))
        }
        // count == rest here: the whole string is shorter than a word.
        if rest >= 4 {
            let high = UInt64(base.loadUnaligned(fromByteOffset: rest - 4, as: UInt32.self)) >> UInt64(8 * (8 - rest))
            return UInt64(base.loadUnaligned(as: UInt32.self)) | high << 32
        }
        if rest >= 2 {
            let high = UInt64(base.loadUnaligned(fromByteOffset: rest - 2, as: UInt16.self)) >> UInt64(8 * (4 - rest))
            return UInt64(base.loadUnaligned(as: UInt16.self)) | high << 16
        }
        return UInt64(base.load(as: UInt8.self))
        #else
        return tailWordReference(base, count: count, from: from)
        #endif
    }

    /// `tailWord` a byte at a time: the definition.
    @inlinable
    static func tailWordReference(_ base: UnsafeRawPointer, count: Int, from: Int) -> UInt64 {
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        var i = from
        while i < count {
            tail |= UInt64(base.load(fromByteOffset: i, as: UInt8.self)) << shift
            shift += 8
            i += 1
        }
        return tail
    }

    @inlinable
    static func avalanche(_ value: UInt64) -> UInt64 {
        var h = value
        h ^= h >> 33
        h = h &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h = h &* 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return h
    }

    @inlinable
    func equals(_ raw: UInt32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        let entry = entries[Int(raw)]
        guard entry.length == bytes.count else { return false }
        guard entry.length > 0 else { return true }
        return memoryEqual(arena + entry.offset, bytes.baseAddress!, entry.length)
    }

    @inlinable
    func memoryEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Bool {
        var i = 0
        while i + 8 <= count {
            if a.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
            i += 8
        }
        // At least eight bytes: the last eight, overlapping what was compared, in one load.
        if i < count && count >= 8 {
            return a.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
                == b.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
        }
        while i < count {
            if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
            i += 1
        }
        return true
    }

    /// Adds `bytes` as a new symbol into the empty slot `index` (found by the caller).
    @usableFromInline
    func insert(_ bytes: UnsafeRawBufferPointer, hash: UInt64, at index: Int) -> Symbol {
        precondition(entryCount < Int(UInt32.max), "symbol table is full (4 billion symbols)")
        reserveArena(bytes.count)
        if bytes.count > 0 {
            (arena + arenaCount).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        }
        if entryCount == entryCapacity { growEntries() }
        let raw = UInt32(entryCount)
        entries[entryCount] = Entry(offset: arenaCount, length: bytes.count, hash: hash)
        entryCount += 1
        arenaCount += bytes.count
        slots[index] = (hash & 0xFFFF_FFFF_0000_0000) | UInt64(raw)
        if entryCount * 2 > slotMask + 1 { growSlots() }
        return Symbol(raw: raw)
    }

    func reserveArena(_ extra: Int) {
        guard arenaCount + extra > arenaCapacity else { return }
        var capacity = arenaCapacity * 2
        while capacity < arenaCount + extra { capacity *= 2 }
        let grown = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        grown.copyMemory(from: arena, byteCount: arenaCount)
        arena.deallocate()
        arena = grown
        arenaCapacity = capacity
    }

    func growEntries() {
        let capacity = entryCapacity * 2
        let grown = UnsafeMutablePointer<Entry>.allocate(capacity: capacity)
        grown.moveInitialize(from: entries, count: entryCount)
        entries.deallocate()
        entries = grown
        entryCapacity = capacity
    }

    /// Doubles the slot table and re-inserts every symbol using its stored hash.
    func growSlots() {
        let slotCount = (slotMask + 1) * 2
        slots.deallocate()
        slots = .allocate(capacity: slotCount)
        slots.initialize(repeating: 0, count: slotCount)
        slotMask = slotCount - 1
        for raw in 1..<entryCount {
            let hash = entries[raw].hash
            var index = Int(truncatingIfNeeded: hash) & slotMask
            while slots[index] != 0 { index = (index &+ 1) & slotMask }
            slots[index] = (hash & 0xFFFF_FFFF_0000_0000) | UInt64(raw)
        }
    }
}
