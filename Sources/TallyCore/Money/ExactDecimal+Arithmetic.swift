/// Arithmetic exactly like Python's `decimal` module in its default context: the exact
/// result of each `+ - * /` is rounded half-even to 28 significant digits. CloudKitty
/// prices with that context, so the same operations in the same order give its digits.
/// Exponents beyond Int32 trap; Python's Emax/Emin (±999999) are never reached by prices.
extension ExactDecimal {
    public static func + (a: ExactDecimal, b: ExactDecimal) -> ExactDecimal {
        // The usual operands in machine words, exact (below 2^63, nothing rounds), else wide.
        DecimalWord.sum(a, b)
    }

    /// `+` without the word path: the reference `DecimalWord` must equal.
    @usableFromInline
    static func wideSum(_ a: ExactDecimal, _ b: ExactDecimal) -> ExactDecimal {
        // Fast path: align within Int128 and stay under 28 digits, so nothing rounds.
        var x = a.coefficient, y = b.coefficient
        let gap = Int(a.exponent) - Int(b.exponent)
        if gap != 0 {
            let shifted = gap > 0 ? x : y
            guard gap.magnitude <= 27, let m = Pow10.scale(shifted.magnitude, by: Int(gap.magnitude)),
                  m < precisionLimit else { return addSlow(a, b) }
            let scaled = shifted < 0 ? -Int128(m) : Int128(m)
            if gap > 0 { x = scaled } else { y = scaled }
        }
        let (sum, overflow) = x.addingReportingOverflow(y)
        if !overflow && sum.magnitude < precisionLimit {
            return ExactDecimal(coefficient: sum, exponent: min(a.exponent, b.exponent))
        }
        return addSlow(a, b)
    }

    public static func - (a: ExactDecimal, b: ExactDecimal) -> ExactDecimal {
        a + ExactDecimal(coefficient: -b.coefficient, exponent: b.exponent)
    }

    public static func * (a: ExactDecimal, b: ExactDecimal) -> ExactDecimal {
        if let x = DecimalWord(a), let y = DecimalWord(b), let product = x * y { return product.exact }
        return wideProduct(a, b)
    }

    /// `*` without the word path: the reference `DecimalWord` must equal.
    @usableFromInline
    static func wideProduct(_ a: ExactDecimal, _ b: ExactDecimal) -> ExactDecimal {
        let negative = (a.coefficient < 0) != (b.coefficient < 0)
        let ma = a.coefficient.magnitude, mb = b.coefficient.magnitude
        let exponent = Int(a.exponent) + Int(b.exponent)
        if ma >> 64 == 0 && mb >> 64 == 0 {  // the common case: a 64×64→128-bit hardware multiply
            let (h, l) = UInt64(truncatingIfNeeded: ma).multipliedFullWidth(by: UInt64(truncatingIfNeeded: mb))
            let product = UInt128(h) << 64 | UInt128(l)
            if product < precisionLimit {
                return make(negative: negative && product != 0, magnitude: product, exponent: exponent)
            }
        }
        let (high, low) = ma.multipliedFullWidth(by: mb)
        if high == 0 && low < precisionLimit {
            return make(negative: negative && low != 0, magnitude: low, exponent: exponent)
        }
        return rounded(negative: negative, magnitude: Wide256(high: high, low: low), exponent: exponent)
    }

    /// The quotient rounded half-even to 28 significant digits. Traps on a zero divisor
    /// (Python raises `DivisionByZero`); callers check `isZero` first.
    public func divided(by d: ExactDecimal) -> ExactDecimal {
        precondition(d.coefficient != 0, "ExactDecimal division by zero")
        if coefficient == 0 { return .zero }
        let negative = (coefficient < 0) != (d.coefficient < 0)
        let n = coefficient.magnitude
        let divisor = d.coefficient.magnitude
        // Scale the dividend so the integer quotient has at least 29 digits (28 + guard);
        // the remainder then only decides "exactly" versus "a bit more".
        let scale = max(0, Self.precision + 1 + Pow10.digitCount(divisor) - Pow10.digitCount(n))
        let dividend = Wide256(n).timesPowerOfTen(scale)
        let (qHigh, rHigh) = dividend.high.quotientAndRemainder(dividingBy: divisor)
        let (qLow, remainder) = divisor.dividingFullWidth((rHigh, dividend.low))
        return Self.rounded(negative: negative, magnitude: Wide256(high: qHigh, low: qLow),
                            exponent: Int(exponent) - Int(d.exponent) - scale, inexact: remainder != 0)
    }

    /// Exact negation (no rounding: a value of up to 38 parsed digits keeps them all).
    public static prefix func - (a: ExactDecimal) -> ExactDecimal {
        ExactDecimal(coefficient: -a.coefficient, exponent: a.exponent)
    }

    public var isZero: Bool { coefficient == 0 }
    public var isNegative: Bool { coefficient < 0 }

    /// Addition when the quick same-exponent path does not apply: align in 256 bits and
    /// round. A far smaller operand is first replaced by a one-digit stand-in just below
    /// the guard digit (Python's `_normalize` trick): it changes only the sticky bit, so
    /// the rounded result is the same while the alignment stays below 77 digits.
    @usableFromInline
    static func addSlow(_ a: ExactDecimal, _ b: ExactDecimal) -> ExactDecimal {
        if a.coefficient == 0 && b.coefficient == 0 {
            return ExactDecimal(coefficient: 0, exponent: min(a.exponent, b.exponent))
        }
        if a.coefficient == 0 { return b.roundedToPrecision() }
        if b.coefficient == 0 { return a.roundedToPrecision() }
        let (big, small) = a.exponent >= b.exponent ? (a, b) : (b, a)
        let bigMagnitude = big.coefficient.magnitude
        let bigExponent = Int(big.exponent)
        let bigLeading = bigExponent + Pow10.digitCount(bigMagnitude) - 1
        let standInPosition = min(bigExponent - 1, bigLeading - precision - 2)
        var smallMagnitude = small.coefficient.magnitude
        var smallExponent = Int(small.exponent)
        if smallExponent + Pow10.digitCount(smallMagnitude) - 1 < standInPosition {
            smallMagnitude = 1
            smallExponent = standInPosition
        }
        let x = Wide256(bigMagnitude).timesPowerOfTen(bigExponent - smallExponent)
        let y = Wide256(smallMagnitude)
        let bigNegative = big.coefficient < 0
        if bigNegative == (small.coefficient < 0) {
            return rounded(negative: bigNegative, magnitude: x + y, exponent: smallExponent)
        }
        if x == y { return ExactDecimal(coefficient: 0, exponent: Int32(smallExponent)) }
        if y < x { return rounded(negative: bigNegative, magnitude: x - y, exponent: smallExponent) }
        return rounded(negative: !bigNegative, magnitude: y - x, exponent: smallExponent)
    }
}
