/// Little helpers for the compact binary form of accumulators: LEB128 varints,
/// zigzag for signed numbers, decimals as zigzag coefficient + zigzag exponent.
///
/// Every window record the rater commits goes through here (a counter window's points: a
/// key and two varints each), so bytes are gathered in words and appended a group at a
/// time: appended one by one, each paid the array's uniqueness and capacity checks (3.5 k
/// instructions per window in `tally-bench fold`, a fifth of the store phase). The bytes
/// are the same (AccumulatorEncodingTests compares them with a byte-at-a-time writer).
struct WindowStateWriter {
    var bytes: [UInt8]

    mutating func unsigned(_ value: UInt128) {
        if value < 0x80 { bytes.append(UInt8(truncatingIfNeeded: value)); return }
        if value >> 64 == 0 { unsigned64(UInt64(truncatingIfNeeded: value)); return }
        var v = value  // beyond 64 bits: rare (a coefficient of 20 digits or more)
        while v >= 0x80 { bytes.append(UInt8(truncatingIfNeeded: v) | 0x80); v >>= 7 }
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    /// LEB128 of a 64-bit value (at most 10 bytes), gathered on the stack and appended at once.
    private mutating func unsigned64(_ value: UInt64) {
        var scratch: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &scratch) { buffer in
            var v = value, n = 0
            while v >= 0x80 { buffer[n] = UInt8(truncatingIfNeeded: v) | 0x80; v >>= 7; n += 1 }
            buffer[n] = UInt8(truncatingIfNeeded: v)
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0...n]))
        }
    }
    mutating func signed(_ value: Int64) {
        unsigned(UInt128(UInt64(bitPattern: (value << 1) ^ (value >> 63))))
    }
    mutating func decimal(_ value: ExactDecimal) {
        let c = value.coefficient
        unsigned(UInt128(bitPattern: (c << 1) ^ (c >> 127)))
        signed(Int64(value.exponent))
    }
    /// The key's 16 bytes, big-endian.
    mutating func key(_ key: SampleKey) {
        let words = (key.high.bigEndian, key.low.bigEndian)
        withUnsafeBytes(of: words) { bytes.append(contentsOf: $0) }
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
