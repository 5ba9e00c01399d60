/// A small, fixed set of object keys matched against raw bytes without allocating:
/// keys are grouped by length, so a lookup compares only with keys of the same length,
/// and each key is compared as two words (`KeyWords`: its first and last eight bytes,
/// overlapping for short keys), bytes in between only for keys longer than 16. This class owns the memory; hot loops use its `index`, a plain struct of
/// pointers, so that matching involves no reference counting.
final class ByteKeyTable: @unchecked Sendable {  // immutable after init; memory never written again
    let index: ByteKeyIndex
    private let storage: UnsafeMutableRawPointer

    /// `keys[i]` is reported as `i` by `index.lookup(_:)`. Keys must be distinct.
    init(_ keys: [[UInt8]]) {
        let n = keys.count
        let order = keys.indices.sorted { (min(keys[$0].count, 63), $0) < (min(keys[$1].count, 63), $1) }
        let byteCount = keys.reduce(0) { $0 + $1.count }
        let intCount = 5 * n + ByteKeyIndex.bucketCount + 1
        storage = .allocate(byteCount: intCount * 8 + max(byteCount, 1), alignment: 8)
        let ints = storage.bindMemory(to: Int.self, capacity: intCount)
        let offsets = ints, lengths = ints + n, values = ints + 2 * n, bucketStart = ints + 5 * n
        let words = UnsafeMutableRawPointer(ints + 3 * n).bindMemory(to: KeyWords.self, capacity: n)
        let bytes = (storage + intCount * 8).bindMemory(to: UInt8.self, capacity: max(byteCount, 1))
        var offset = 0
        for (position, keyIndex) in order.enumerated() {
            let key = keys[keyIndex]
            for (j, b) in key.enumerated() { bytes[offset + j] = b }
            offsets[position] = offset
            lengths[position] = key.count
            values[position] = keyIndex
            words[position] = key.withUnsafeBytes { KeyWords($0) }
            offset += key.count
        }
        var position = 0
        for bucket in 0...ByteKeyIndex.bucketCount {
            while position < n && min(lengths[position], 63) < bucket { position += 1 }
            bucketStart[bucket] = position
        }
        index = ByteKeyIndex(bytes: bytes, offsets: offsets, lengths: lengths, values: values, words: words,
                             bucketStart: bucketStart)
    }

    convenience init(_ keys: [String]) {
        self.init(keys.map { Array($0.utf8) })
    }

    deinit { storage.deallocate() }
}

/// The lookup side of a `ByteKeyTable`; valid while the table is alive.
struct ByteKeyIndex {
    /// Keys of 63 bytes or more share the last bucket.
    static let bucketCount = 64
    let bytes: UnsafePointer<UInt8>
    let offsets: UnsafePointer<Int>
    let lengths: UnsafePointer<Int>
    /// The caller's index of each key, in length-sorted order.
    let values: UnsafePointer<Int>
    let words: UnsafePointer<KeyWords>
    let bucketStart: UnsafePointer<Int>

    init(bytes: UnsafeMutablePointer<UInt8>, offsets: UnsafeMutablePointer<Int>, lengths: UnsafeMutablePointer<Int>,
         values: UnsafeMutablePointer<Int>, words: UnsafeMutablePointer<KeyWords>, bucketStart: UnsafeMutablePointer<Int>) {
        self.bytes = UnsafePointer(bytes)
        self.offsets = UnsafePointer(offsets)
        self.lengths = UnsafePointer(lengths)
        self.values = UnsafePointer(values)
        self.words = UnsafePointer(words)
        self.bucketStart = UnsafePointer(bucketStart)
    }

    /// The caller's index of the key equal to `key`, or -1.
    @inline(__always)
    func lookup(_ key: UnsafeRawBufferPointer) -> Int {
        let n = key.count
        let bucket = min(n, 63)
        var i = bucketStart[bucket]
        let end = bucketStart[bucket + 1]
        guard i < end else { return -1 }  // most keys of most objects: no key of their length
        let wanted = KeyWords(key)
        while i < end {
            // Same length below the last bucket, so equal words mean equal bytes up to 16.
            if words[i] == wanted, lengths[i] == n,
               n <= 16 || bytesEqual(bytes + offsets[i] + 8, key.baseAddress! + 8, n - 16) {
                return values[i]
            }
            i += 1
        }
        return -1
    }
}

/// A key's first and last eight bytes as two words (overlapping when it is shorter than
/// 16; two overlapping four-byte loads below 8, bytes one by one below 4), so that two
/// keys of the same length up to 16 bytes are equal exactly when their words are.
struct KeyWords: Equatable {
    var head: UInt64
    var tail: UInt64

    @inline(__always)
    init(_ text: UnsafeRawBufferPointer) {
        let n = text.count
        if n >= 8 {
            let p = text.baseAddress!
            head = p.loadUnaligned(as: UInt64.self)
            tail = p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
        } else if n >= 4 {
            let p = text.baseAddress!
            head = UInt64(p.loadUnaligned(as: UInt32.self))
            tail = UInt64(p.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self))
        } else {
            head = 0
            for b in text { head = head << 8 | UInt64(b) }
            tail = 0
        }
    }
}

/// Whether `bytes` are exactly the UTF-8 of `literal` (`elementsEqual` over a `String`'s
/// UTF-8 view costs ~300 instructions per call; this is a length check and a few words).
@inline(__always)
func bytesEqual(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
    bytes.count == literal.utf8CodeUnitCount
        && (bytes.count == 0 || bytesEqual(bytes.baseAddress!, literal.utf8Start, bytes.count))
}

/// Compares `n` bytes a word at a time; keys are short, so this beats calling memcmp.
@inline(__always)
func bytesEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
    var i = 0
    while i + 8 <= n {
        if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
            return false
        }
        i += 8
    }
    while i < n {
        if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
        i += 1
    }
    return true
}
