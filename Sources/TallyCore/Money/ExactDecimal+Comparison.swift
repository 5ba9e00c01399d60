/// Numeric comparison and hashing: values compare by what they denote, so
/// `1.0 == 1.00`, and equal values hash alike. Never overflows, whatever the exponents.
extension ExactDecimal: Equatable, Comparable, Hashable {
    public static func == (a: ExactDecimal, b: ExactDecimal) -> Bool { compare(a, b) == 0 }
    @inline(__always) public static func < (a: ExactDecimal, b: ExactDecimal) -> Bool { compare(a, b) < 0 }

    public func hash(into hasher: inout Hasher) {
        let n = normalized()
        hasher.combine(n.coefficient)
        hasher.combine(n.exponent)
    }

    /// −1, 0 or 1 as `a` is less than, equal to or greater than `b`.
    @inline(__always) public static func compare(_ a: ExactDecimal, _ b: ExactDecimal) -> Int {
        let signA = a.coefficient.signum()
        let signB = b.coefficient.signum()
        if signA != signB { return signA < signB ? -1 : 1 }
        if signA == 0 { return 0 }
        let magnitudeOrder = compareMagnitudes(a, b)
        return signA > 0 ? magnitudeOrder : -magnitudeOrder
    }

    @usableFromInline @inline(__always)
    static func compareMagnitudes(_ a: ExactDecimal, _ b: ExactDecimal) -> Int {
        let ma = a.coefficient.magnitude
        let mb = b.coefficient.magnitude
        if a.exponent == b.exponent { return ma == mb ? 0 : (ma < mb ? -1 : 1) }
        let gap = Int(a.exponent) - Int(b.exponent)
        if let scaled = Pow10.scale(gap > 0 ? ma : mb, by: Int(gap.magnitude)) {  // fast path: align in 128 bits
            let x = gap > 0 ? scaled : ma, y = gap > 0 ? mb : scaled
            return x == y ? 0 : (x < y ? -1 : 1)
        }
        // Leading-digit positions decide unless equal; then the exponent gap is at most
        // 37 and the aligned coefficient still fits in 38 digits.
        let leadA = Int(a.exponent) + Pow10.digitCount(ma)
        let leadB = Int(b.exponent) + Pow10.digitCount(mb)
        if leadA != leadB { return leadA < leadB ? -1 : 1 }
        var x = ma
        var y = mb
        if a.exponent > b.exponent { x *= Pow10.u128[Int(a.exponent) - Int(b.exponent)] }
        else { y *= Pow10.u128[Int(b.exponent) - Int(a.exponent)] }
        return x == y ? 0 : (x < y ? -1 : 1)
    }
}
