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
    /// built right to left in a small stack buffer and copied once: the writer's own
    /// version moves the digits again for the point and takes a general path for zero,
    /// which an explanation's flats and results often are. Other values (exponents above
    /// 0 or below −30, coefficients over 64 bits) go to `decimalText`.
    @inline(__always) mutating func explanationDecimal(_ d: ExactDecimal) {
        let magnitude = d.coefficient.magnitude
        if magnitude == 0 { literalByte(UInt8(ascii: "0")); return }
        guard magnitude <= UInt128(UInt64.max), d.exponent <= 0, d.exponent >= -30 else { decimalText(d); return }
        var m = UInt64(magnitude)
        var scale = Int(-d.exponent)
        while scale > 0 && m % 10 == 0 { m /= 10; scale -= 1 }
        // At most 30 fraction digits, "0.", 20 integer digits and a sign: 54 bytes.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 56) { buffer in
            var at = 56
            if scale > 0 {
                for _ in 0..<scale { at -= 1; buffer[at] = UInt8(truncatingIfNeeded: m % 10) &+ 48; m /= 10 }
                at -= 1; buffer[at] = UInt8(ascii: ".")
                if m == 0 { at -= 1; buffer[at] = UInt8(ascii: "0") }
            }
            while m > 0 { at -= 1; buffer[at] = UInt8(truncatingIfNeeded: m % 10) &+ 48; m /= 10 }
            if d.coefficient < 0 { at -= 1; buffer[at] = UInt8(ascii: "-") }
            let n = 56 - at
            withTail(n) { Self.copyShort(to: UnsafeMutableRawPointer($0), from: UnsafeRawPointer(buffer.baseAddress! + at), n) }
        }
    }
}
