import TallyCore

/// An exact running sum of decimals for the index's rollups: one Int128 coefficient at the
/// smallest exponent seen, so the value is the exact sum of the terms (never rounded).
/// Adding a term that does not fit sets `overflowed`, and readers then answer from the
/// frame records instead (a sum either is exact or is not used). Subtraction is adding the
/// negated term, which is how a later revision replaces its frame's contribution.
struct RollupSum: Equatable {
    var coefficient: Int128 = 0
    var exponent: Int32 = 0
    var overflowed = false

    static let encodedSize = 20

    var value: ExactDecimal { ExactDecimal(coefficient: coefficient, exponent: exponent) }

    mutating func add(_ term: ExactDecimal, negated: Bool = false) {
        add(coefficient: term.coefficient, exponent: term.exponent, negated: negated)
    }

    mutating func add(_ other: RollupSum) {
        if other.overflowed { overflowed = true; return }
        add(coefficient: other.coefficient, exponent: other.exponent, negated: false)
    }

    private mutating func add(coefficient term: Int128, exponent termExponent: Int32, negated: Bool) {
        guard !overflowed, term != 0 else { return }
        var signed = term
        if negated {
            let (negative, overflow) = Int128(0).subtractingReportingOverflow(term)
            if overflow { overflowed = true; return }
            signed = negative
        }
        if coefficient == 0 { exponent = termExponent }
        if termExponent < exponent {
            guard let scaled = Self.scale(coefficient, by: Int(exponent) - Int(termExponent)) else { overflowed = true; return }
            coefficient = scaled
            exponent = termExponent
        }
        guard let aligned = Self.scale(signed, by: Int(termExponent) - Int(exponent)) else { overflowed = true; return }
        let (sum, overflow) = coefficient.addingReportingOverflow(aligned)
        if overflow { overflowed = true; return }
        coefficient = sum
    }

    /// `value × 10^digits`, nil when it does not fit.
    private static func scale(_ value: Int128, by digits: Int) -> Int128? {
        guard value != 0 else { return 0 }
        var out = value
        for _ in 0..<digits {
            let (next, overflow) = out.multipliedReportingOverflow(by: 10)
            if overflow { return nil }
            out = next
        }
        return out
    }

    /// The value's one representation: no trailing zeros in the coefficient, zero at exponent
    /// 0. Stored sums are normalized, so equal sums are equal bytes whatever the order of the
    /// terms (and a rebuilt rollup equals one maintained frame by frame).
    var normalized: RollupSum {
        guard !overflowed else { return self }
        guard coefficient != 0 else { return RollupSum() }
        var out = self
        while out.coefficient % 10 == 0, out.exponent < Int32.max { out.coefficient /= 10; out.exponent += 1 }
        return out
    }

    func encode(into out: inout [UInt8]) {
        let sum = normalized
        let (coefficient, exponent) = (sum.coefficient, sum.exponent)
        let bits = UInt128(bitPattern: coefficient)
        RollupBytes.append(UInt64(truncatingIfNeeded: bits), to: &out)
        RollupBytes.append(UInt64(truncatingIfNeeded: bits >> 64), to: &out)
        RollupBytes.append(UInt32(bitPattern: exponent), to: &out)
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, at offset: Int, overflowed: Bool) -> RollupSum {
        let low = RollupBytes.u64(bytes, offset), high = RollupBytes.u64(bytes, offset + 8)
        return RollupSum(coefficient: Int128(bitPattern: UInt128(high) << 64 | UInt128(low)),
                         exponent: Int32(bitPattern: RollupBytes.u32(bytes, offset + 16)), overflowed: overflowed)
    }
}

/// Little-endian reads and writes shared by the rollup cells.
enum RollupBytes {
    static func u32(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self))
    }

    static func u64(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt64 {
        UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))
    }

    static func bigEndian32(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self))
    }

    static func bigEndian64(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt64 {
        UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))
    }

    static func append(_ value: UInt32, to out: inout [UInt8]) {
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    static func append(_ value: UInt64, to out: inout [UInt8]) {
        for shift in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    static func appendBigEndian(_ value: UInt32, to out: inout [UInt8]) {
        for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    static func appendBigEndian(_ value: UInt64, to out: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }
}
