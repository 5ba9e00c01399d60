/// Exact comparison with binary doubles, Python `Decimal(float)` semantics: a double
/// denotes exactly `m × 2^e`, so `8.1` is 8.0999999999999996447286321199499070644378662109375
/// and compares below the decimal 8.1. Such values can need hundreds of digits, so they
/// are reduced to 38 significant digits plus an "inexact" flag, which is enough to
/// compare exactly with any `ExactDecimal` (see `compare(truncated:inexact:with:)`).
extension ExactDecimal {
    /// The exact value of `value` when it fits in 38 significant digits (0.5, 8.0, 1e20),
    /// else nil. Nil for infinities and NaN.
    public init?(exactly value: Double) {
        guard let (truncated, inexact) = ExactDecimal.truncatedExactValue(of: value), !inexact else { return nil }
        self = truncated
    }

    /// −1, 0 or 1 as the exact binary value of `double` is below, equal to or above
    /// `decimal`; nil when `double` is NaN. Infinities compare beyond every decimal.
    public static func compare(double: Double, with decimal: ExactDecimal) -> Int? {
        if double.isNaN { return nil }
        if double.isInfinite { return double < 0 ? -1 : 1 }
        let (truncated, inexact) = truncatedExactValue(of: double)!
        return compare(truncated: truncated, inexact: inexact, with: decimal)
    }

    /// Orders a number known only as `truncated` (its first 38 significant digits, cut
    /// toward zero) plus "more nonzero digits follow" against `decimal`. Exact because a
    /// 38-digit `decimal` with the same leading position is a multiple of the truncated
    /// value's last digit unit, so it can never fall strictly inside the cut-off part.
    public static func compare(truncated: ExactDecimal, inexact: Bool, with decimal: ExactDecimal) -> Int {
        let order = compare(truncated, decimal)
        // Only a tie moves: the true value lies beyond `truncated`, away from zero.
        if inexact && order == 0 { return truncated.isNegative ? -1 : 1 }
        return order
    }

    /// The exact value of a finite double cut to 38 significant digits, and whether
    /// nonzero digits were cut. Nil for infinities and NaN.
    public static func truncatedExactValue(of value: Double) -> (ExactDecimal, inexact: Bool)? {
        guard value.isFinite else { return nil }
        if value == 0 { return (.zero, false) }
        let negative = value < 0
        let significand = value.significandBitPattern | (value.isNormal ? (1 << 52) : 0)
        var binaryExponent = Int(value.isNormal ? Int(value.exponent) - 52 : -1074)
        var mantissa = UInt64(significand)
        while mantissa & 1 == 0 { mantissa >>= 1; binaryExponent += 1 }
        // m × 2^e: an integer when e ≥ 0; otherwise (m × 5^-e) × 10^e.
        var digits = DecimalDigits(mantissa)
        var decimalExponent = 0
        if binaryExponent >= 0 {
            digits.multiply(byPowerOfTwo: binaryExponent)
        } else {
            digits.multiply(byPowerOfFive: -binaryExponent)
            decimalExponent = binaryExponent
        }
        return digits.truncated(negative: negative, exponent: decimalExponent)
    }
}

/// A minimal unbounded unsigned integer (base 10^9 limbs, least significant first) for
/// expanding doubles exactly. Only used off the hot path.
struct DecimalDigits {
    private var limbs: [UInt32]
    private static let base: UInt64 = 1_000_000_000

    init(_ value: UInt64) {
        limbs = []
        var v = value
        repeat { limbs.append(UInt32(v % Self.base)); v /= Self.base } while v > 0
    }

    mutating func multiply(bySmall factor: UInt32) {
        var carry: UInt64 = 0
        for i in limbs.indices {
            let product = UInt64(limbs[i]) * UInt64(factor) + carry
            limbs[i] = UInt32(product % Self.base)
            carry = product / Self.base
        }
        while carry > 0 { limbs.append(UInt32(carry % Self.base)); carry /= Self.base }
    }

    mutating func multiply(byPowerOfTwo n: Int) {
        var remaining = n
        while remaining > 0 { let s = min(remaining, 29); multiply(bySmall: 1 << UInt32(s)); remaining -= s }
    }

    mutating func multiply(byPowerOfFive n: Int) {
        var remaining = n
        while remaining > 0 {
            let s = min(remaining, 13)  // 5^13 < 2^32
            var factor: UInt32 = 1
            for _ in 0..<s { factor *= 5 }
            multiply(bySmall: factor)
            remaining -= s
        }
    }

    /// The first 38 significant digits as `±digits × 10^(exponent + cut)`, and whether
    /// any nonzero digit was cut.
    func truncated(negative: Bool, exponent: Int) -> (ExactDecimal, inexact: Bool) {
        var text: [UInt8] = []
        for (i, limb) in limbs.reversed().enumerated() {
            var chunk = Array(String(limb).utf8)
            if i > 0 { chunk = Array(repeating: UInt8(ascii: "0"), count: 9 - chunk.count) + chunk }
            text += chunk
        }
        let keep = min(text.count, 38)
        var coefficient: Int128 = 0
        for d in text[..<keep] { coefficient = coefficient * 10 + Int128(d - 48) }
        let inexact = text[keep...].contains { $0 != UInt8(ascii: "0") }
        let value = ExactDecimal(coefficient: negative ? -coefficient : coefficient,
                                 exponent: Int32(exponent + text.count - keep))
        return (value, inexact)
    }
}
