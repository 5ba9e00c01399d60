/// A decimal's value as one integer at the fixed exponent −18, so that matching compares
/// rule costs, levels, quantities and metadata numbers with one integer compare instead of
/// aligning `ExactDecimal`s per comparison. Exact: a value has a key only when
/// `coefficient × 10^(exponent + 18)` is an integer below 10^38, so equal keys mean equal
/// values and the keys order as the values do. Anything else (more than 18 decimals, huge
/// values) has `OrderKey.none`, and its comparisons fall back to `ExactDecimal`'s.
/// Keys only order values: the arithmetic stays `ExactDecimal`'s, so prices keep their digits.
enum OrderKey {
    /// No key: compare the decimals themselves.
    /// (Computed, like `minusOne`: a stored static is a lazy global, read through
    /// `swift_once` on every use.)
    @inline(__always) static var none: Int128 { .min }

    /// The key of `d`, or `none`.
    @inline(__always) static func of(_ d: ExactDecimal) -> Int128 {
        let shift = Int(d.exponent) + 18
        guard shift >= 0, shift <= 38 else { return d.coefficient == 0 ? 0 : none }
        let magnitude = d.coefficient.magnitude
        guard let scaled = Pow10.scale(magnitude, by: shift), scaled < limit else { return none }
        return d.coefficient < 0 ? -Int128(scaled) : Int128(scaled)
    }

    /// `a > b` for two values and their keys (`ExactDecimal`'s compare when either has none).
    @inline(__always) static func greater(_ aKey: Int128, _ a: ExactDecimal, _ bKey: Int128, _ b: ExactDecimal) -> Bool {
        if aKey != none && bKey != none { return aKey > bKey }
        return b < a
    }

    /// The key of 1 (10^18): an integer n below 10^18 has the key n × `one`.
    @inline(__always) static var one: Int128 { 1_000_000_000_000_000_000 }

    /// The key of −1: CloudKitty's starting threshold level.
    @inline(__always) static var minusOne: Int128 { -1_000_000_000_000_000_000 }

    /// 10^38: keys stay below it in magnitude.
    @inline(__always) private static var limit: UInt128 { 100_000_000_000_000_000_000_000_000_000_000_000_000 }
}
