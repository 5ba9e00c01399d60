/// An exact decimal `coefficient × 10^exponent` whose coefficient fits one machine word:
/// the small operands prices are made of (costs like 0.025, quantities like 3600), worked
/// in `Int64` registers instead of `ExactDecimal`'s 128-bit coefficient and rounding checks.
///
/// Every operation is exact or fails (nil): a word result is below 2^63 < 10^28, so
/// Python's 28-digit rounding never applies and the result is the one `ExactDecimal`'s
/// `*` and `+` give — the same coefficient and the same exponent (the product's exponent
/// is the sum, the sum's the smaller), which its rendering and explanations show. On nil
/// the caller computes with `ExactDecimal`, the reference (DecimalWordTests holds the two
/// equal on random operands, edges and overflows included).
///
/// Exponents stay within ±2^28, so a sum of two never leaves `Int32` (where `ExactDecimal`
/// traps): a value or result beyond that is left to the general path.
@usableFromInline
struct DecimalWord {
    @usableFromInline var coefficient: Int64
    @usableFromInline var exponent: Int

    @inlinable init(coefficient: Int64, exponent: Int) {
        self.coefficient = coefficient
        self.exponent = exponent
    }

    /// `d` as a word, when its coefficient fits `Int64` and its exponent the word range.
    @inlinable @inline(__always) init?(_ d: ExactDecimal) {
        guard let c = Int64(exactly: d.coefficient), Self.inRange(Int(d.exponent)) else { return nil }
        self.init(coefficient: c, exponent: Int(d.exponent))
    }

    /// The same value as an `ExactDecimal` (same coefficient, same exponent).
    @inlinable @inline(__always) var exact: ExactDecimal {
        ExactDecimal(coefficient: Int128(coefficient), exponent: Int32(truncatingIfNeeded: exponent))
    }

    @inlinable @inline(__always) static func inRange(_ exponent: Int) -> Bool {
        UInt(bitPattern: exponent &+ (1 << 28)) <= (1 << 29)
    }

    /// `a + b` (`ExactDecimal`'s), in words when both fit one: inlined where a caller sums
    /// word-sized prices, where the operator is a call.
    @inlinable @inline(__always) static func sum(_ a: ExactDecimal, _ b: ExactDecimal) -> ExactDecimal {
        if let x = DecimalWord(a), let y = DecimalWord(b), let s = x + y { return s.exact }
        return ExactDecimal.wideSum(a, b)
    }

    /// The exact product, or nil when it does not fit a word.
    @inlinable @inline(__always) static func * (a: DecimalWord, b: DecimalWord) -> DecimalWord? {
        let (product, overflow) = a.coefficient.multipliedReportingOverflow(by: b.coefficient)
        let exponent = a.exponent &+ b.exponent
        guard !overflow, inRange(exponent) else { return nil }
        return DecimalWord(coefficient: product, exponent: exponent)
    }

    /// The exact sum at the smaller exponent, or nil when it does not fit a word (the
    /// operand with the larger exponent is scaled up by at most 10^18).
    @inlinable @inline(__always) static func + (a: DecimalWord, b: DecimalWord) -> DecimalWord? {
        var x = a.coefficient, y = b.coefficient
        let gap = a.exponent &- b.exponent
        if gap != 0 {
            guard gap.magnitude <= 18 else { return nil }
            let (scaled, overflow) = (gap > 0 ? x : y).multipliedReportingOverflow(by: Int64(bitPattern: Pow10.u64[Int(gap.magnitude)]))
            if overflow { return nil }
            if gap > 0 { x = scaled } else { y = scaled }
        }
        let (sum, overflow) = x.addingReportingOverflow(y)
        if overflow { return nil }
        return DecimalWord(coefficient: sum, exponent: min(a.exponent, b.exponent))
    }
}
