/// A small, fixed set of object keys matched against raw bytes without allocating:
/// keys are grouped by length, so a lookup compares bytes only with keys of the same
/// length. This class owns the memory; hot loops use its `index`, a plain struct of
/// pointers, so that matching involves no reference counting.
final class ByteKeyTable: @unchecked Sendable {  // immutable after init; memory never written again
    let index: ByteKeyIndex
    private let storage: UnsafeMutableRawPointer

    /// `keys[i]` is reported as `i` by `index.lookup(_:)`. Keys must be distinct.
    init(_ keys: [[UInt8]]) {
        let n = keys.count
        let order = keys.indices.sorted { (min(keys[$0].count, 63), $0) < (min(keys[$1].count, 63), $1) }
        let byteCount = keys.reduce(0) { $0 + $1.count }
        let intCount = 3 * n + ByteKeyIndex.bucketCount + 1
        storage = .allocate(byteCount: intCount * 8 + max(byteCount, 1), alignment: 8)
        let ints = storage.bindMemory(to: Int.self, capacity: intCount)
        let offsets = ints, lengths = ints + n, values = ints + 2 * n, bucketStart = ints + 3 * n
        let bytes = (storage + intCount * 8).bindMemory(to: UInt8.self, capacity: max(byteCount, 1))
        var offset = 0
        for (position, keyIndex) in order.enumerated() {
            let key = keys[keyIndex]
            for (j, b) in key.enumerated() { bytes[offset + j] = b }
            offsets[position] = offset
            lengths[position] = key.count
            values[position] = keyIndex
            offset += key.count
        }
        var position = 0
        for bucket in 0...ByteKeyIndex.bucketCount {
            while position < n && min(lengths[position], 63) < bucket { position += 1 }
            bucketStart[bucket] = position
        }
        index = ByteKeyIndex(bytes: bytes, offsets: offsets, lengths: lengths, values: values, bucketStart: bucketStart)
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
    let bucketStart: UnsafePointer<Int>

    init(bytes: UnsafeMutablePointer<UInt8>, offsets: UnsafeMutablePointer<Int>, lengths: UnsafeMutablePointer<Int>,
         values: UnsafeMutablePointer<Int>, bucketStart: UnsafeMutablePointer<Int>) {
        self.bytes = UnsafePointer(bytes)
        self.offsets = UnsafePointer(offsets)
        self.lengths = UnsafePointer(lengths)
        self.values = UnsafePointer(values)
        self.bucketStart = UnsafePointer(bucketStart)
    }

    /// The caller's index of the key equal to `key`, or -1.
    @inline(__always)
    func lookup(_ key: UnsafeRawBufferPointer) -> Int {
        let n = key.count
        let bucket = min(n, 63)
        var i = bucketStart[bucket]
        let end = bucketStart[bucket + 1]
        while i < end {
            if lengths[i] == n, n == 0 || bytesEqual(bytes + offsets[i], key.baseAddress!, n) { return values[i] }
            i += 1
        }
        return -1
    }
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
