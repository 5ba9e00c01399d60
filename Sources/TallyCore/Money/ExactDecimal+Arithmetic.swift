// PROVISIONAL: exact but unrounded arithmetic so that other targets can compile and
// test against the API. The rating work replaces this file with the 28-digit,
// ROUND_HALF_EVEN implementation; the signatures below are the contract.

extension ExactDecimal {
    @inlinable static func aligned(_ a: ExactDecimal, _ b: ExactDecimal) -> (Int128, Int128, Int32) {
        if a.exponent == b.exponent { return (a.coefficient, b.coefficient, a.exponent) }
        if a.exponent > b.exponent {
            var c = a.coefficient
            for _ in 0..<(a.exponent - b.exponent) { c *= 10 }
            return (c, b.coefficient, b.exponent)
        }
        var c = b.coefficient
        for _ in 0..<(b.exponent - a.exponent) { c *= 10 }
        return (a.coefficient, c, a.exponent)
    }

    public static func + (a: ExactDecimal, b: ExactDecimal) -> ExactDecimal {
        let (x, y, e) = aligned(a, b)
        return ExactDecimal(coefficient: x + y, exponent: e)
    }

    public static func - (a: ExactDecimal, b: ExactDecimal) -> ExactDecimal {
        let (x, y, e) = aligned(a, b)
        return ExactDecimal(coefficient: x - y, exponent: e)
    }

    public static func * (a: ExactDecimal, b: ExactDecimal) -> ExactDecimal {
        ExactDecimal(coefficient: a.coefficient * b.coefficient, exponent: a.exponent + b.exponent)
    }

    /// Division rounded to 28 significant digits (half-even in the final version).
    public func divided(by d: ExactDecimal) -> ExactDecimal {
        precondition(d.coefficient != 0, "division by zero")
        var n = coefficient
        var e = exponent - d.exponent
        for _ in 0..<18 { n *= 10; e -= 1 }
        return ExactDecimal(coefficient: n / d.coefficient, exponent: e)
    }

    public static prefix func - (a: ExactDecimal) -> ExactDecimal {
        ExactDecimal(coefficient: -a.coefficient, exponent: a.exponent)
    }

    public var isZero: Bool { coefficient == 0 }
    public var isNegative: Bool { coefficient < 0 }
}

extension ExactDecimal: Equatable, Comparable, Hashable {
    /// Numeric equality: 1.0 == 1.00.
    public static func == (a: ExactDecimal, b: ExactDecimal) -> Bool {
        let (x, y, _) = aligned(a, b)
        return x == y
    }
    public static func < (a: ExactDecimal, b: ExactDecimal) -> Bool {
        let (x, y, _) = aligned(a, b)
        return x < y
    }
    public func hash(into hasher: inout Hasher) {
        let n = normalized()
        hasher.combine(n.coefficient)
        hasher.combine(n.exponent)
    }
}
