/// Little helpers for the compact binary form of accumulators: LEB128 varints,
/// zigzag for signed numbers, decimals as zigzag coefficient + zigzag exponent.
struct WindowStateWriter {
    var bytes: [UInt8]

    mutating func unsigned(_ value: UInt128) {
        var v = value
        while v >= 0x80 { bytes.append(UInt8(truncatingIfNeeded: v) | 0x80); v >>= 7 }
        bytes.append(UInt8(truncatingIfNeeded: v))
    }
    mutating func signed(_ value: Int64) {
        unsigned(UInt128(UInt64(bitPattern: (value << 1) ^ (value >> 63))))
    }
    mutating func decimal(_ value: ExactDecimal) {
        let c = value.coefficient
        unsigned(UInt128(bitPattern: (c << 1) ^ (c >> 127)))
        signed(Int64(value.exponent))
    }
    mutating func key(_ key: SampleKey) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: key.high >> UInt64(shift))) }
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: key.low >> UInt64(shift))) }
    }
}

/// Why stored accumulator bytes could not be read back.
public struct AccumulatorDecodingError: Error, CustomStringConvertible, Equatable {
    public var message: String
    /// Byte offset at which reading failed.
    public var offset: Int
    public var description: String { "cannot decode accumulator at byte \(offset): \(message)" }
}

struct WindowStateReader {
    let bytes: UnsafeRawBufferPointer
    var index = 0

    func fail(_ message: String) -> AccumulatorDecodingError { AccumulatorDecodingError(message: message, offset: index) }

    mutating func byte() throws -> UInt8 {
        guard index < bytes.count else { throw fail("unexpected end of data") }
        defer { index += 1 }
        return bytes[index]
    }
    mutating func unsigned(maxBits: Int = 128) throws -> UInt128 {
        var result: UInt128 = 0, shift = 0
        while true {
            let b = try byte()
            guard shift < maxBits else { throw fail("varint too long") }
            result |= UInt128(b & 0x7F) << UInt128(shift)
            if b & 0x80 == 0 { return result }
            shift += 7
        }
    }
    mutating func signed() throws -> Int64 {
        let raw = try unsigned(maxBits: 64)
        guard raw <= UInt128(UInt64.max) else { throw fail("integer out of range") }
        let u = UInt64(raw)
        return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }
    mutating func count(_ what: String) throws -> Int {
        let n = try signed()
        guard n >= 0, n <= Int64(bytes.count - index) else { throw fail("bad \(what) count \(n)") }
        return Int(n)
    }
    mutating func decimal() throws -> ExactDecimal {
        let u = try unsigned()
        let coefficient = Int128(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
        let exponent = try signed()
        guard let e = Int32(exactly: exponent) else { throw fail("exponent out of range") }
        return ExactDecimal(coefficient: coefficient, exponent: e)
    }
    mutating func key() throws -> SampleKey {
        var high: UInt64 = 0, low: UInt64 = 0
        for _ in 0..<8 { high = high << 8 | UInt64(try byte()) }
        for _ in 0..<8 { low = low << 8 | UInt64(try byte()) }
        return SampleKey(high: high, low: low)
    }
}
