/// A 256-bit unsigned integer, just wide enough for the exact intermediate results of
/// 28-digit decimal arithmetic on 38-digit operands (products and aligned sums stay
/// below 10^77 < 2^256). Internal to Money: nothing outside rounds through it.
@usableFromInline
struct Wide256: Equatable {
    @usableFromInline var high: UInt128
    @usableFromInline var low: UInt128

    @inlinable init(high: UInt128, low: UInt128) { self.high = high; self.low = low }
    @inlinable init(_ value: UInt128) { self.high = 0; self.low = value }

    @inlinable var isZero: Bool { high == 0 && low == 0 }

    static func < (a: Wide256, b: Wide256) -> Bool {
        a.high != b.high ? a.high < b.high : a.low < b.low
    }

    /// `a + b`; the caller guarantees no overflow past 256 bits.
    static func + (a: Wide256, b: Wide256) -> Wide256 {
        let (low, carry) = a.low.addingReportingOverflow(b.low)
        return Wide256(high: a.high &+ b.high &+ (carry ? 1 : 0), low: low)
    }

    /// `a - b`; the caller guarantees `a >= b`.
    static func - (a: Wide256, b: Wide256) -> Wide256 {
        let (low, borrow) = a.low.subtractingReportingOverflow(b.low)
        return Wide256(high: a.high &- b.high &- (borrow ? 1 : 0), low: low)
    }

    /// `self × 10^n`; the caller guarantees the result fits.
    func timesPowerOfTen(_ n: Int) -> Wide256 {
        var result = self
        var remaining = n
        while remaining > 0 {
            let step = min(remaining, 38)
            let factor = Pow10.u128[step]
            let (carryHigh, low) = result.low.multipliedFullWidth(by: factor)
            result = Wide256(high: result.high &* factor &+ carryHigh, low: low)
            remaining -= step
        }
        return result
    }

    /// `(self / 10^n, remainder != 0)`: the quotient truncated and whether anything was cut.
    func dividedByPowerOfTen(_ n: Int) -> (quotient: Wide256, inexact: Bool) {
        var high = self.high
        var low = self.low
        var inexact = false
        var remaining = n
        while remaining > 0 {
            let step = min(remaining, 38)
            let divisor = Pow10.u128[step]
            let (qHigh, rHigh) = high.quotientAndRemainder(dividingBy: divisor)
            let (qLow, rLow) = divisor.dividingFullWidth((rHigh, low))
            if rLow != 0 { inexact = true }
            high = qHigh
            low = qLow
            remaining -= step
        }
        return (Wide256(high: high, low: low), inexact)
    }

    /// The number of decimal digits (1 for zero).
    var decimalDigitCount: Int {
        if high == 0 { return Pow10.digitCount(low) }
        var digits = 39
        while digits < Pow10.wide.count && !(self < Pow10.wide[digits]) { digits += 1 }
        return digits
    }
}

/// Powers of ten used by rounding and alignment.
@usableFromInline
enum Pow10 {
    /// 10^0 … 10^38. Written out so the optimizer emits a constant table (no lazy init).
    @usableFromInline static let u128: [UInt128] = [
        1, 10, 100,
        1000, 10000, 100000,
        1000000, 10000000, 100000000,
        1000000000, 10000000000, 100000000000,
        1000000000000, 10000000000000, 100000000000000,
        1000000000000000, 10000000000000000, 100000000000000000,
        1000000000000000000, 10000000000000000000, 100000000000000000000,
        1000000000000000000000, 10000000000000000000000, 100000000000000000000000,
        1000000000000000000000000, 10000000000000000000000000, 100000000000000000000000000,
        1000000000000000000000000000, 10000000000000000000000000000, 100000000000000000000000000000,
        1000000000000000000000000000000, 10000000000000000000000000000000, 100000000000000000000000000000000,
        1000000000000000000000000000000000, 10000000000000000000000000000000000, 100000000000000000000000000000000000,
        1000000000000000000000000000000000000, 10000000000000000000000000000000000000, 100000000000000000000000000000000000000,
    ]

    /// 10^0 … 10^77 as 256-bit values.
    static let wide: [Wide256] = (0...77).map { Wide256(1).timesPowerOfTen($0) }

    /// 10^n for n in 0…19 as UInt64 (the 64-bit fast paths).
    @usableFromInline static let u64: [UInt64] = [
        1, 10, 100, 1000,
        10000, 100000, 1000000, 10000000,
        100000000, 1000000000, 10000000000, 100000000000,
        1000000000000, 10000000000000, 100000000000000, 1000000000000000,
        10000000000000000, 100000000000000000, 1000000000000000000, 10000000000000000000,
    ]

    /// `value × 10^n` when it fits in 128 bits, cheaply when `value` fits in 64 bits.
    @inline(__always) static func scale(_ value: UInt128, by n: Int) -> UInt128? {
        if value >> 64 == 0 && n <= 19 {
            let (high, low) = UInt64(truncatingIfNeeded: value).multipliedFullWidth(by: u64[n])
            return UInt128(high) << 64 | UInt128(low)
        }
        guard n <= 38 else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: u128[n])
        return overflow ? nil : product
    }

    /// The number of decimal digits of `value` (1 for zero).
    @inlinable static func digitCount(_ value: UInt128) -> Int {
        // log10(2) ≈ 1233/4096 gives the count or one less; the table settles it.
        let bits = 128 - value.leadingZeroBitCount
        var digits = (bits * 1233) >> 12
        if digits <= 38 && value >= u128[digits] { digits += 1 }
        return max(digits, 1)
    }
}
