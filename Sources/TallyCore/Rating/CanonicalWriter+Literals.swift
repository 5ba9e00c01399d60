/// Fixed text written in one piece: an explanation is mostly constant bytes (keys, quotes,
/// separators, the arithmetic lines' words) around its decimals and names, and writing
/// them as one literal per stretch, not a `key`, `raw` and `byte` call per piece (each a
/// capacity check and a `memmove` call for a few bytes), is most of what makes it quick.
/// The caller writes whole values this way, so the writer's nesting state is unchanged.
extension CanonicalWriter {
    /// Appends the literal's UTF-8 bytes (copied inline up to 32 bytes). For
    /// multi-scalar literals only (a one-scalar `StaticString` has no pointer).
    @inline(__always) mutating func literal(_ text: StaticString) {
        let n = text.utf8CodeUnitCount
        let source = UnsafeRawPointer(text.utf8Start)
        withTail(n) { Self.copyShort(to: UnsafeMutableRawPointer($0), from: source, n) }
    }

    /// Copies `n` bytes with overlapping word loads and stores up to 32 bytes (a call to
    /// `memmove` costs more than the copy at these sizes), `copyMemory` beyond.
    @inline(__always) static func copyShort(to d: UnsafeMutableRawPointer, from source: UnsafeRawPointer, _ n: Int) {
        if n >= 8 && n <= 16 {
            let a = source.loadUnaligned(as: UInt64.self), b = source.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
            d.storeBytes(of: a, as: UInt64.self)
            d.storeBytes(of: b, toByteOffset: n - 8, as: UInt64.self)
        } else if n > 16 && n <= 32 {
            let a = source.loadUnaligned(as: UInt64.self), b = source.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            let c = source.loadUnaligned(fromByteOffset: n - 16, as: UInt64.self)
            let e = source.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
            d.storeBytes(of: a, as: UInt64.self)
            d.storeBytes(of: b, toByteOffset: 8, as: UInt64.self)
            d.storeBytes(of: c, toByteOffset: n - 16, as: UInt64.self)
            d.storeBytes(of: e, toByteOffset: n - 8, as: UInt64.self)
        } else if n >= 4 && n < 8 {
            let a = source.loadUnaligned(as: UInt32.self), b = source.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
            d.storeBytes(of: a, as: UInt32.self)
            d.storeBytes(of: b, toByteOffset: n - 4, as: UInt32.self)
        } else if n > 32 {
            d.copyMemory(from: source, byteCount: n)
        } else {
            for i in 0..<n { d.storeBytes(of: source.load(fromByteOffset: i, as: UInt8.self), toByteOffset: i, as: UInt8.self) }
        }
    }

    /// One fixed byte (a separator between names the caller writes).
    @inline(__always) mutating func literalByte(_ byte: UInt8) {
        withTail(1) { $0.pointee = byte }
    }

    /// `decimalText(d)`, the canonical text of a decimal (zero as "0", no trailing zeros),
    /// measured first and then written right to left in place, two digits at a time
    /// (`DigitPairs`): an explanation writes ~30 of these. Other values (exponents above 0
    /// or below −30, coefficients over 64 bits) go to `decimalText`.
    @inline(__always) mutating func explanationDecimal(_ d: ExactDecimal) {
        let magnitude = d.coefficient.magnitude
        if magnitude == 0 { literalByte(UInt8(ascii: "0")); return }
        guard magnitude <= UInt128(UInt64.max), d.exponent <= 0, d.exponent >= -30 else { decimalText(d); return }
        var m = UInt64(magnitude)
        var scale = Int(-d.exponent)
        // Trailing zeros: most values have none (one check); products and sums keep every
        // digit (1.00 × 0.001 × 0.1 is 0.000100, held as 100 × 10⁻⁶, and a sum takes the
        // finest exponent), so a run of them goes four at a time, then one at a time.
        if scale > 0 && m % 10 == 0 {
            m /= 10; scale -= 1
            while scale >= 4 && m % 10_000 == 0 { m /= 10_000; scale -= 4 }
            while scale > 0 && m % 10 == 0 { m /= 10; scale -= 1 }
        }
        let digits = DigitPairs.count(m)
        let sign = d.coefficient < 0 ? 1 : 0
        // ddd.ddd, or 0.00ddd when the digits do not reach the point: at most a sign, 20
        // integer digits or "0", the point and 30 fraction digits.
        let length = sign + (scale == 0 ? digits : max(digits - scale, 1) + 1 + scale)
        withTail(length) { out in
            let text = UnsafeMutableRawPointer(out)
            var at = length
            if scale > 0 {
                var left = scale  // fraction digits, zeros included once m runs out
                while left >= 2 { at -= 2; DigitPairs.write(Int(m % 100), to: text + at); m /= 100; left -= 2 }
                if left == 1 { at -= 1; out[at] = UInt8(truncatingIfNeeded: m % 10) &+ 48; m /= 10 }
                at -= 1; out[at] = UInt8(ascii: ".")
            }
            at -= DigitPairs.writeDigits(m, endingAt: text + at)  // "0" before the point when m is 0
            if sign == 1 { out[0] = UInt8(ascii: "-") }
        }
    }
}
