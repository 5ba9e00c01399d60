import Glibc

/// A key of the memory store. Keys of up to 32 bytes (every table's but `meta`'s) are
/// held inline, big-endian in four words, so hashing one, comparing two or moving a
/// table's entries when it grows never follows a pointer to a separate array; `[UInt8]`'s
/// own hash fed the hasher a byte at a time, from memory of its own, for every put and
/// again for every key at each growth of a table. Longer keys keep their bytes.
struct StoreKey: Hashable, Comparable {
    private static let inlineLimit = 32
    /// The first 32 bytes, big-endian, zero-padded (unused when `long` holds the bytes).
    private var w0: UInt64 = 0, w1: UInt64 = 0, w2: UInt64 = 0, w3: UInt64 = 0
    private(set) var count: Int
    private var long: [UInt8]?

    init(_ bytes: [UInt8]) {
        count = bytes.count
        guard count <= StoreKey.inlineLimit else { long = bytes; return }
        bytes.withUnsafeBytes { raw in
            var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: raw) }
            w0 = UInt64(bigEndian: words.0); w1 = UInt64(bigEndian: words.1)
            w2 = UInt64(bigEndian: words.2); w3 = UInt64(bigEndian: words.3)
        }
    }

    /// Calls `body` with the key's bytes.
    func withBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        if let long { return try long.withUnsafeBytes(body) }
        var words = (w0.bigEndian, w1.bigEndian, w2.bigEndian, w3.bigEndian)
        let n = count
        return try withUnsafeBytes(of: &words) { try body(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
    }

    var bytes: [UInt8] { withBytes { Array($0) } }

    func hash(into hasher: inout Hasher) {
        if let long {
            long.withUnsafeBytes { hasher.combine(bytes: $0) }
        } else {
            hasher.combine(w0); hasher.combine(w1); hasher.combine(w2); hasher.combine(w3); hasher.combine(count)
        }
    }

    /// What `Dictionary` asks for: an inline key is mixed with multiplies, not run through
    /// SipHash (`Hasher`), which cost more than the rest of a put and again for every entry
    /// at each growth of a table. The store's keys come from the engine, not from input that
    /// could be chosen to collide; the seed still varies the hash per table instance.
    func _rawHashValue(seed: Int) -> Int {
        guard long == nil else {
            var hasher = Hasher()
            hasher.combine(seed)
            hash(into: &hasher)
            return hasher.finalize()
        }
        var h = (w0 &* 0x9E37_79B9_7F4A_7C15) ^ (w1 &* 0xC2B2_AE3D_27D4_EB4F) ^ (w2 &* 0x1656_67B1_9E37_79F9)
            ^ (w3 &* 0x85EB_CA77_C2B2_AE63) ^ (UInt64(count) &+ UInt64(bitPattern: Int64(seed)))
        // Dictionary takes the low bits: fold the well-mixed high bits down (murmur's finalizer).
        h ^= h >> 33; h = h &* 0xFF51_AFD7_ED55_8CCD; h ^= h >> 33
        return Int(bitPattern: UInt(truncatingIfNeeded: h))
    }

    static func == (a: StoreKey, b: StoreKey) -> Bool {
        guard a.count == b.count else { return false }
        if a.long == nil { return a.w0 == b.w0 && a.w1 == b.w1 && a.w2 == b.w2 && a.w3 == b.w3 }
        return a.long == b.long
    }

    /// Byte order, a prefix first (LMDB's default key order). Two inline keys compare by
    /// their words: zero padding makes equal words mean one is a prefix of the other.
    static func < (a: StoreKey, b: StoreKey) -> Bool {
        if a.long == nil && b.long == nil {
            if a.w0 != b.w0 { return a.w0 < b.w0 }
            if a.w1 != b.w1 { return a.w1 < b.w1 }
            if a.w2 != b.w2 { return a.w2 < b.w2 }
            if a.w3 != b.w3 { return a.w3 < b.w3 }
            return a.count < b.count
        }
        return a.withBytes { x in b.withBytes { y in precedes(x, y) } }
    }

    private static func precedes(_ x: UnsafeRawBufferPointer, _ y: UnsafeRawBufferPointer) -> Bool {
        let common = min(x.count, y.count)
        if common > 0 {
            let order = memcmp(x.baseAddress!, y.baseAddress!, common)
            if order != 0 { return order < 0 }
        }
        return x.count < y.count
    }
}

/// Keys handed out smallest first: a binary min-heap built in linear time, so a scan
/// that stops early pays for the keys it visits, not for sorting all of them.
struct KeyHeap {
    private var keys: [StoreKey]

    init<S: Sequence>(_ keys: S) where S.Element == StoreKey {
        self.keys = Array(keys)
        var i = self.keys.count / 2
        while i > 0 { i -= 1; siftDown(i) }
    }

    mutating func popFirst() -> StoreKey? {
        guard !keys.isEmpty else { return nil }
        keys.swapAt(0, keys.count - 1)
        let first = keys.removeLast()
        if !keys.isEmpty { siftDown(0) }
        return first
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < keys.count, keys[l] < keys[m] { m = l }
            if r < keys.count, keys[r] < keys[m] { m = r }
            if m == i { return }
            keys.swapAt(i, m)
            i = m
        }
    }
}
