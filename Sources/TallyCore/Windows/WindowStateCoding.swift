/// Little helpers for the compact binary form of accumulators: LEB128 varints,
/// zigzag for signed numbers, decimals as zigzag coefficient + zigzag exponent.
///
/// Every window record the rater commits goes through here (a counter window's points: a
/// key and three varints each), so the form is written straight into memory sized
/// beforehand (`Accumulator.encodedCount`): the commit encodes each dirty window's
/// accumulator into the space LMDB reserves for its record. Appended to an array, even a
/// group of bytes at a time, each group paid the array's uniqueness and capacity checks
/// (~2,600 instructions per window put in `tally-bench fold`, callgrind, a fifth of the
/// store phase); here a byte is one store. The bytes are the same (AccumulatorEncodingTests
/// compares them with a byte-at-a-time writer and with the array encoder it replaced).
struct WindowStateWriter {
    let base: UnsafeMutableRawPointer
    let count: Int
    private(set) var index = 0

    /// Writes into `buffer`; a write past its end traps.
    init(_ buffer: UnsafeMutableRawBufferPointer) {
        base = buffer.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 8)!
        count = buffer.count
    }

    /// Whether every byte of the buffer was written.
    var isFull: Bool { index == count }

    mutating func byte(_ value: UInt8) {
        precondition(index < count, "WindowStateWriter: past the end")
        base.storeBytes(of: value, toByteOffset: index, as: UInt8.self)
        index += 1
    }

    mutating func unsigned(_ value: UInt128) {
        if value >> 64 == 0 { unsigned64(UInt64(truncatingIfNeeded: value)); return }
        precondition(index + WindowStateWriter.length(value) <= count, "WindowStateWriter: past the end")
        var v = value  // beyond 64 bits: rare (a coefficient of 20 digits or more)
        while v >= 0x80 { base.storeBytes(of: UInt8(truncatingIfNeeded: v) | 0x80, toByteOffset: index, as: UInt8.self); index += 1; v >>= 7 }
        base.storeBytes(of: UInt8(truncatingIfNeeded: v), toByteOffset: index, as: UInt8.self)
        index += 1
    }

    /// LEB128 of a 64-bit value (at most 10 bytes).
    mutating func unsigned64(_ value: UInt64) {
        precondition(index + WindowStateWriter.length64(value) <= count, "WindowStateWriter: past the end")
        var v = value, i = index
        while v >= 0x80 { base.storeBytes(of: UInt8(truncatingIfNeeded: v) | 0x80, toByteOffset: i, as: UInt8.self); i += 1; v >>= 7 }
        base.storeBytes(of: UInt8(truncatingIfNeeded: v), toByteOffset: i, as: UInt8.self)
        index = i + 1
    }
    mutating func signed(_ value: Int64) { unsigned64(WindowStateWriter.zigzag(value)) }
    mutating func decimal(_ value: ExactDecimal) {
        unsigned(WindowStateWriter.zigzag(value.coefficient))
        signed(Int64(value.exponent))
    }
    /// The key's 16 bytes, big-endian.
    mutating func key(_ key: SampleKey) {
        precondition(index + 16 <= count, "WindowStateWriter: past the end")
        base.storeBytes(of: key.high.bigEndian, toByteOffset: index, as: UInt64.self)
        base.storeBytes(of: key.low.bigEndian, toByteOffset: index + 8, as: UInt64.self)
        index += 16
    }

    // The lengths of what the writes above write, for sizing the buffer first.

    @inline(__always) static func zigzag(_ value: Int64) -> UInt64 { UInt64(bitPattern: (value << 1) ^ (value >> 63)) }
    @inline(__always) static func zigzag(_ value: Int128) -> UInt128 { UInt128(bitPattern: (value << 1) ^ (value >> 127)) }
    /// LEB128 takes a byte per 7 significant bits, at least one.
    @inline(__always) static func length64(_ value: UInt64) -> Int { (64 - (value | 1).leadingZeroBitCount + 6) / 7 }
    static func length(_ value: UInt128) -> Int {
        if value >> 64 == 0 { return length64(UInt64(truncatingIfNeeded: value)) }
        return (128 - value.leadingZeroBitCount + 6) / 7
    }
    @inline(__always) static func signedLength(_ value: Int64) -> Int { length64(zigzag(value)) }
    @inline(__always) static func decimalLength(_ value: ExactDecimal) -> Int {
        length(zigzag(value.coefficient)) + signedLength(Int64(value.exponent))
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
