/// Rounding to the working precision of Python's default decimal context.
extension ExactDecimal {
    /// Significant digits kept by every arithmetic result (Python's `getcontext().prec`).
    public static let precision = 28

    /// 10^28: a magnitude below it needs no rounding.
    @usableFromInline static let precisionLimit: UInt128 = 10_000_000_000_000_000_000_000_000_000

    /// Builds `±magnitude × 10^exponent` rounded half-even to 28 significant digits.
    /// `inexact` says that nonzero digits below `magnitude` were already cut off (a
    /// division remainder), so a tie is really above half.
    @usableFromInline
    static func rounded(negative: Bool, magnitude: Wide256, exponent: Int, inexact: Bool = false) -> ExactDecimal {
        let digits = magnitude.decimalDigitCount
        if digits <= precision {
            precondition(!inexact, "rounded: inexact input must carry more than 28 digits")
            return make(negative: negative, magnitude: magnitude.low, exponent: exponent)
        }
        let cut = digits - precision
        // Keep one guard digit; everything below it only matters as "nonzero or not".
        let (withGuard, stickyBelow) = magnitude.dividedByPowerOfTen(cut - 1)
        let (kept, guardDigit) = withGuard.low.quotientAndRemainder(dividingBy: 10)
        let sticky = stickyBelow || inexact
        var result = kept
        if guardDigit > 5 || (guardDigit == 5 && (sticky || result & 1 == 1)) { result += 1 }
        var newExponent = exponent + cut
        if result == precisionLimit {  // 9…9 rounded up to 10^28: drop a zero
            result /= 10
            newExponent += 1
        }
        return make(negative: negative, magnitude: result, exponent: newExponent)
    }

    @inlinable
    static func make(negative: Bool, magnitude: UInt128, exponent: Int) -> ExactDecimal {
        guard let e = Int32(exactly: exponent) else {
            preconditionFailure("ExactDecimal exponent \(exponent) out of range")
        }
        let c = Int128(magnitude)
        return ExactDecimal(coefficient: negative ? -c : c, exponent: e)
    }

    /// This value rounded to 28 significant digits (what Python's unary `+` does).
    public func roundedToPrecision() -> ExactDecimal {
        let m = coefficient.magnitude
        if m < Self.precisionLimit { return self }
        return Self.rounded(negative: coefficient < 0, magnitude: Wide256(m), exponent: Int(exponent))
    }
}
