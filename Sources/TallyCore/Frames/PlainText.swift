/// Whether text can go into a JSON string as it is, checked eight bytes at a time: a frame
/// copies ~30 texts (names, ids, the rule book's and the previous frame's hashes, ~500
/// bytes), and three compares and a branch per byte were most of what copying them cost.
enum PlainText {
    /// No byte is `"`, `\` or a control character, and with `asciiOnly` none is ≥ 0x80.
    @inline(__always) static func isPlain(_ bytes: UnsafeRawBufferPointer, asciiOnly: Bool) -> Bool {
        guard let p = bytes.baseAddress else { return true }
        let n = bytes.count
        if n >= 8 {
            var found: UInt64 = 0, i = 0
            while i + 8 <= n { found |= flags(p.loadUnaligned(fromByteOffset: i, as: UInt64.self), asciiOnly); i += 8 }
            if i < n { found |= flags(p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self), asciiOnly) }  // overlaps
            return found == 0
        }
        if n >= 4 {  // two overlapping halves make one word
            let word = UInt64(p.loadUnaligned(as: UInt32.self)) | UInt64(p.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)) << 32
            return flags(word, asciiOnly) == 0
        }
        for i in 0..<n {
            let b = p.load(fromByteOffset: i, as: UInt8.self)
            if b < 0x20 || b == 0x22 || b == 0x5C || (asciiOnly && b >= 0x80) { return false }
        }
        return true
    }

    /// No byte is ≥ 0x80.
    @inline(__always) static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let p = bytes.baseAddress else { return true }
        let n = bytes.count
        var i = 0, high: UInt64 = 0
        while i + 8 <= n { high |= p.loadUnaligned(fromByteOffset: i, as: UInt64.self); i += 8 }
        while i < n { high |= UInt64(p.load(fromByteOffset: i, as: UInt8.self)); i += 1 }
        return high & highBits == 0
    }

    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// Nonzero when a byte of `x` needs escaping (or, with `asciiOnly`, is ≥ 0x80). The
    /// bit tricks are exact for "some byte is": `(x − 0x20…) & ~x & 0x80…` is nonzero iff a
    /// byte is below 0x20, and the same with 0x01… on `x ^ c` iff a byte equals `c`; a
    /// borrow can only spread upwards from a byte that already matched.
    @inline(__always) private static func flags(_ x: UInt64, _ asciiOnly: Bool) -> UInt64 {
        let control = (x &- ones &* 0x20) & ~x
        let q = x ^ (ones &* 0x22), quote = (q &- ones) & ~q
        let s = x ^ (ones &* 0x5C), backslash = (s &- ones) & ~s
        return (control | quote | backslash | (asciiOnly ? x : 0)) & highBits
    }
}
