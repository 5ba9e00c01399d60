/// Eight hex digits (the first in the word's low byte, as a little-endian load leaves it)
/// as their 32-bit value, or nil when a byte is not a hex digit. Each byte is tested to be
/// `0`–`9`, or `a`–`f` once bit 5 is set, with the additions of the classic in-range
/// test, which cannot carry between bytes below 0x80. For UUIDs (`SampleKey.uuidWords`)
/// and `\u` escapes (`hexDigits4`).
@inline(__always)
func hexDigits8(_ word: UInt64) -> UInt64? {
    let highs: UInt64 = 0x8080_8080_8080_8080
    guard word & highs == 0 else { return nil }
    let lower = word | 0x2020_2020_2020_2020
    let isDigit = (word &+ 0x5050_5050_5050_5050) & ~(word &+ 0x4646_4646_4646_4646)  // >= 0x30, <= 0x39
    let isLetter = (lower &+ 0x1F1F_1F1F_1F1F_1F1F) & ~(lower &+ 0x1919_1919_1919_1919)  // >= 0x61, <= 0x66
    guard (isDigit | isLetter) & highs == highs else { return nil }
    // A digit's value is its low four bits, plus 9 for a letter (bit 6 set).
    var v = (word & 0x0F0F_0F0F_0F0F_0F0F) &+ (word >> 6 & 0x0101_0101_0101_0101) &* 9
    // Pairs of bytes to bytes, pairs of those to 16-bit units, then to 32 bits; the first
    // digit ends up most significant.
    v = (v << 4 | v >> 8) & 0x00FF_00FF_00FF_00FF
    v = (v << 8 | v >> 16) & 0x0000_FFFF_0000_FFFF
    return (v << 16 | v >> 32) & 0xFFFF_FFFF
}

/// The four hex digits at `p` as their value, or nil (`hexDigits8` with four `0`s after).
@inline(__always)
func hexDigits4(_ p: UnsafePointer<UInt8>) -> UInt32? {
    let word = UInt64(UInt32(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt32.self)))
    return hexDigits8(word | 0x3030_3030 << 32).map { UInt32(truncatingIfNeeded: $0 >> 16) }
}
