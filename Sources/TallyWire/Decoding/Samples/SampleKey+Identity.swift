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

    /// The 128 bits of a UUID in text form, or nil if `text` is not one: eight digits at a
    /// time (`uuidWords`), and digit by digit (`uuidDigits`, the reference) for what that
    /// does not take.
    static func uuid(_ text: UnsafeRawBufferPointer) -> SampleKey? {
        uuidWords(text) ?? uuidDigits(text)
    }

    /// The 36-byte dashed spelling, any case, as four words of eight hex digits each:
    /// `8`, `4+4`, `4+4` and `8` (each pair of four-digit groups loaded as two halves).
    /// Nil for anything else, or a byte that is not a hex digit.
    @inline(__always)
    static func uuidWords(_ text: UnsafeRawBufferPointer) -> SampleKey? {
        guard text.count == 36, let p = text.baseAddress else { return nil }
        let dash = UInt8(ascii: "-")
        guard p.load(fromByteOffset: 8, as: UInt8.self) == dash, p.load(fromByteOffset: 13, as: UInt8.self) == dash,
              p.load(fromByteOffset: 18, as: UInt8.self) == dash, p.load(fromByteOffset: 23, as: UInt8.self) == dash else {
            return nil
        }
        func halves(_ a: Int, _ b: Int) -> UInt64 {
            UInt64(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: a, as: UInt32.self)))
                | UInt64(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: b, as: UInt32.self))) << 32
        }
        guard let a = hexDigits8(UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))),
              let bc = hexDigits8(halves(9, 14)), let de = hexDigits8(halves(19, 24)),
              let f = hexDigits8(UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 28, as: UInt64.self))) else { return nil }
        return SampleKey(high: a << 32 | bc, low: de << 32 | f)
    }

    /// `uuid` digit by digit: the reference, and the spelling without dashes.
    static func uuidDigits(_ text: UnsafeRawBufferPointer) -> SampleKey? {
        let count = text.count
        guard count == 36 || count == 32, let base = text.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            return nil
        }
        let dashed = count == 36
        if dashed {
            guard base[8] == UInt8(ascii: "-"), base[13] == UInt8(ascii: "-"), base[18] == UInt8(ascii: "-"),
                  base[23] == UInt8(ascii: "-") else { return nil }
        }
        // Without dashes the 32 digits are two runs of 16; with them, the groups 8-4-4 and
        // 4-12 (the dash at 23 splits the second word). Straight runs, no per-byte test of
        // where the dashes are.
        var valid = true
        let high: UInt64, low: UInt64
        if dashed {
            let a = hexRun(base, 8, &valid), b = hexRun(base + 9, 4, &valid), c = hexRun(base + 14, 4, &valid)
            let d = hexRun(base + 19, 4, &valid), e = hexRun(base + 24, 12, &valid)
            high = a << 32 | b << 16 | c
            low = d << 48 | e
        } else {
            high = hexRun(base, 16, &valid)
            low = hexRun(base + 16, 16, &valid)
        }
        return valid ? SampleKey(high: high, low: low) : nil
    }

    /// The value of `count` (at most 16) hex digits; clears `valid` if one is not a digit.
    /// Branch-free per digit: `0`–`9` are 0x30–0x39, and `a`–`f` and `A`–`F` are the same
    /// once bit 5 is set (0x61–0x66).
    @inline(__always)
    private static func hexRun(_ p: UnsafePointer<UInt8>, _ count: Int, _ valid: inout Bool) -> UInt64 {
        var value: UInt64 = 0
        var ok = true
        for i in 0..<count {
            let c = p[i]
            let digit = c &- 0x30, letter = (c | 0x20) &- 0x61
            let isDigit = digit < 10, isLetter = letter < 6
            ok = ok && (isDigit || isLetter)
            value = value << 4 | UInt64(isDigit ? digit : letter &+ 10)
        }
        valid = valid && ok
        return value
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
