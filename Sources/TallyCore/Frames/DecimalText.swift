/// The canonical text of any `ExactDecimal` (`canonicalText`: plain notation, trailing
/// zeros stripped, "0" for zero), measured before it is written so that a writer can
/// reserve the exact length and place it in one go.
///
/// The digits are first written right to left into a 40-byte scratch, two at a time
/// (`DigitPairs`). A coefficient over 64 bits (a product of two prices keeps every digit,
/// so explanations carry many) is split by one hardware 128÷64 division into a 19-digit
/// low part and a high part below 10¹⁹, instead of one 128-bit division per digit (a
/// runtime call each): the general path of `CanonicalJSON.writeDecimalText` and the frame
/// writer's `decimalText` took ~10% of closing a window that way (perf, `tally-bench fold`).
struct DecimalText {
    let negative: Bool
    /// The significant digits, trailing zeros stripped: `digits + first ..< digits + end`.
    let first: Int
    let end: Int
    /// The power of ten of the last significant digit.
    let exponent: Int

    static let scratchSize = 40
    private static let tenToThe19: UInt64 = 10_000_000_000_000_000_000

    /// Writes `value`'s digits into `digits` (`scratchSize` bytes) and describes its text.
    /// Nil for zero (its text is "0").
    @inline(__always) init?(_ value: ExactDecimal, digits: UnsafeMutableRawPointer) {
        let magnitude = value.coefficient.magnitude
        if magnitude == 0 { return nil }
        let tail = digits + Self.scratchSize
        let count: Int
        if magnitude <= UInt128(UInt64.max) {
            count = DigitPairs.writeDigits(UInt64(magnitude), endingAt: tail)
        } else {
            // |coefficient| ≤ 2¹²⁷, so its high word is below 10¹⁹ and the quotient (the digits
            // above the last 19) fits 64 bits.
            let (upper, lower) = Self.tenToThe19.dividingFullWidth(
                (UInt64(truncatingIfNeeded: magnitude >> 64), UInt64(truncatingIfNeeded: magnitude)))
            var rest = lower  // exactly 19 digits, zeros in front
            for pair in 1...9 {
                DigitPairs.write(Int(rest % 100), to: tail - 2 * pair)
                rest /= 100
            }
            tail.storeBytes(of: UInt8(truncatingIfNeeded: rest) &+ 48, toByteOffset: -19, as: UInt8.self)
            count = 19 + DigitPairs.writeDigits(upper, endingAt: tail - 19)
        }
        var exponent = Int(value.exponent)
        var last = Self.scratchSize
        while digits.load(fromByteOffset: last - 1, as: UInt8.self) == UInt8(ascii: "0") { last -= 1; exponent += 1 }
        self.negative = value.coefficient < 0
        self.first = Self.scratchSize - count
        self.end = last
        self.exponent = exponent
    }

    var digitCount: Int { end - first }

    /// The text's length in bytes.
    var length: Int {
        let sign = negative ? 1 : 0
        if exponent >= 0 { return sign + digitCount + exponent }
        let scale = -exponent
        return sign + (digitCount <= scale ? 2 + scale : digitCount + 1)
    }

    /// Writes the text (`length` bytes) at `out`, from the digits the initializer wrote.
    @inline(__always) func write(from digits: UnsafeRawPointer, to out: UnsafeMutablePointer<UInt8>) {
        var at = 0
        if negative { out[0] = UInt8(ascii: "-"); at = 1 }
        let n = digitCount
        let source = digits + first
        let target = UnsafeMutableRawPointer(out)
        if exponent >= 0 {
            target.advanced(by: at).copyMemory(from: source, byteCount: n)
            (out + at + n).initialize(repeating: UInt8(ascii: "0"), count: exponent)
            return
        }
        let scale = -exponent
        if n <= scale {  // 0.000ddd
            out[at] = UInt8(ascii: "0"); out[at + 1] = UInt8(ascii: ".")
            (out + at + 2).initialize(repeating: UInt8(ascii: "0"), count: scale - n)
            target.advanced(by: at + 2 + scale - n).copyMemory(from: source, byteCount: n)
        } else {
            let whole = n - scale
            target.advanced(by: at).copyMemory(from: source, byteCount: whole)
            out[at + whole] = UInt8(ascii: ".")
            target.advanced(by: at + whole + 1).copyMemory(from: source + whole, byteCount: scale)
        }
    }
}
