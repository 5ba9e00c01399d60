import TallyCore

extension SampleKey {
    /// The dedupe identity of a sample id: a UUID (`8-4-4-4-12` hex, any case, or the
    /// same 32 digits without dashes) gives its own 128 bits; any other text gives a
    /// 128-bit hash of its bytes.
    public static func identity(of id: UnsafeRawBufferPointer) -> SampleKey {
        uuid(id) ?? hashed(id)
    }

    public static func identity(of id: String) -> SampleKey {
        var id = id
        return id.withUTF8 { identity(of: UnsafeRawBufferPointer($0)) }
    }

    /// The 128 bits of a UUID in text form, or nil if `text` is not one.
    static func uuid(_ text: UnsafeRawBufferPointer) -> SampleKey? {
        let count = text.count
        guard count == 36 || count == 32, let base = text.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            return nil
        }
        let dashed = count == 36
        if dashed {
            guard base[8] == UInt8(ascii: "-"), base[13] == UInt8(ascii: "-"), base[18] == UInt8(ascii: "-"),
                  base[23] == UInt8(ascii: "-") else { return nil }
        }
        var words: (UInt64, UInt64) = (0, 0)
        var nibbles = 0
        var valid = true
        for i in 0..<count {
            if dashed && (i == 8 || i == 13 || i == 18 || i == 23) { continue }
            let v = hexValue(base[i])
            valid = valid && v >= 0
            if nibbles < 16 { words.0 = words.0 << 4 | UInt64(v & 0xF) } else { words.1 = words.1 << 4 | UInt64(v & 0xF) }
            nibbles += 1
        }
        return valid ? SampleKey(high: words.0, low: words.1) : nil
    }

    /// Two independent 64-bit hashes of `bytes` (different seeds and multipliers), so a
    /// collision needs both to collide: about 2^-128 per pair of distinct ids.
    static func hashed(_ bytes: UnsafeRawBufferPointer) -> SampleKey {
        SampleKey(high: wordHash(bytes, seed: 0x243F_6A88_85A3_08D3, multiplier: 0x9E37_79B9_7F4A_7C15),
                  low: wordHash(bytes, seed: 0x1319_8A2E_0370_7344, multiplier: 0xC2B2_AE3D_27D4_EB4F))
    }

    /// The identity of a CloudEvent: its `source` and `id` together, as the spec says
    /// (the pair is unique per event). The length of `source` is hashed too so that
    /// ("ab", "c") and ("a", "bc") differ.
    static func cloudEvent(source: UnsafeRawBufferPointer, id: UnsafeRawBufferPointer) -> SampleKey {
        let s = hashed(source)
        let i = hashed(id)
        let length = UInt64(source.count)
        return SampleKey(high: mix(s.high ^ mix(i.high &+ length)), low: mix(s.low &+ mix(i.low ^ length)))
    }

    private static func wordHash(_ bytes: UnsafeRawBufferPointer, seed: UInt64, multiplier: UInt64) -> UInt64 {
        var h = seed ^ (UInt64(bytes.count) &* multiplier)
        guard let base = bytes.baseAddress else { return mix(h) }
        var i = 0
        while i + 8 <= bytes.count {
            h = (h ^ mix(base.loadUnaligned(fromByteOffset: i, as: UInt64.self) &* multiplier)) &* multiplier
            h = h << 27 | h >> 37
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < bytes.count {
            tail |= UInt64(base.load(fromByteOffset: i, as: UInt8.self)) << shift
            shift += 8
            i += 1
        }
        h = (h ^ mix(tail &* multiplier &+ shift)) &* multiplier
        return mix(h)
    }

    /// A 64-bit finalizer (MurmurHash3's fmix64 constants): every input bit affects
    /// every output bit.
    private static func mix(_ value: UInt64) -> UInt64 {
        var h = value
        h ^= h >> 33
        h = h &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h = h &* 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return h
    }
}
