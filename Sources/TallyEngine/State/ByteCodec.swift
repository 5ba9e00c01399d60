/// Big-endian binary encoding for state records: fixed-width integers so keys
/// sort numerically, length-prefixed byte strings for the rest.
public struct ByteWriter {
    public var bytes: [UInt8] = []
    public init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    // Byte by byte on purpose: `append(contentsOf:)` of the word's bytes measured twice as
    // slow (swiftc -O, 24 words into a reserved array: 268 ns against 145 ns per record).
    public mutating func u32(_ v: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: v >> 24)); bytes.append(UInt8(truncatingIfNeeded: v >> 16))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8)); bytes.append(UInt8(truncatingIfNeeded: v))
    }
    public mutating func u64(_ v: UInt64) { u32(UInt32(truncatingIfNeeded: v >> 32)); u32(UInt32(truncatingIfNeeded: v)) }
    /// Overwrites the four bytes at `offset` (written before as a placeholder) with `v`.
    public mutating func patchU32(at offset: Int, _ v: UInt32) {
        for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: v >> (24 - 8 * UInt32(i))) }
    }
    /// Signed values are offset so that their byte order matches numeric order.
    public mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v) ^ (1 << 63)) }
    public mutating func i32(_ v: Int32) { u32(UInt32(bitPattern: v) ^ (1 << 31)) }
    public mutating func bytes<C: Collection>(_ b: C) where C.Element == UInt8 { u32(UInt32(b.count)); bytes.append(contentsOf: b) }
    public mutating func string(_ s: String) { bytes(Array(s.utf8)) }
    public mutating func raw<C: Collection>(_ b: C) where C.Element == UInt8 { bytes.append(contentsOf: b) }
}

/// `ByteWriter`'s encoding written into memory that is already there (a value LMDB reserved
/// in its page, `StateTransaction.put(_:_:count:append:fill:)`): whole words stored at once,
/// no array grown byte by byte. The caller sizes the buffer exactly; a write past its end traps.
public struct RawByteWriter {
    public let buffer: UnsafeMutableRawBufferPointer
    public private(set) var position = 0

    public init(_ buffer: UnsafeMutableRawBufferPointer) { self.buffer = buffer }

    @inline(__always) private mutating func store<T: FixedWidthInteger>(_ v: T) {
        precondition(position + MemoryLayout<T>.size <= buffer.count, "RawByteWriter: past the end")
        buffer.storeBytes(of: v.bigEndian, toByteOffset: position, as: T.self)
        position += MemoryLayout<T>.size
    }
    public mutating func u8(_ v: UInt8) { store(v) }
    public mutating func u32(_ v: UInt32) { store(v) }
    public mutating func u64(_ v: UInt64) { store(v) }
    public mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v) ^ (1 << 63)) }
    public mutating func i32(_ v: Int32) { u32(UInt32(bitPattern: v) ^ (1 << 31)) }
    /// Length-prefixed, as `ByteWriter.bytes`.
    public mutating func bytes(_ b: UnsafeRawBufferPointer) { u32(UInt32(b.count)); raw(b) }
    public mutating func raw(_ b: UnsafeRawBufferPointer) {
        precondition(position + b.count <= buffer.count, "RawByteWriter: past the end")
        if let base = b.baseAddress, b.count > 0 { (buffer.baseAddress! + position).copyMemory(from: base, byteCount: b.count) }
        position += b.count
    }
    /// The next `count` bytes, counted as written, for a nested encoder to fill (a window
    /// record's accumulator).
    public mutating func next(_ count: Int) -> UnsafeMutableRawBufferPointer {
        precondition(count >= 0 && position + count <= buffer.count, "RawByteWriter: past the end")
        defer { position += count }
        return UnsafeMutableRawBufferPointer(rebasing: buffer[position..<(position + count)])
    }
    /// Whether every byte of the buffer was written.
    public var isFull: Bool { position == buffer.count }
}

/// Reads what `ByteWriter` wrote; every read checks bounds and throws a
/// `StateCorruption` naming the record, so a damaged store is never misread.
public struct ByteReader {
    public let buffer: UnsafeRawBufferPointer
    public var position = 0
    let what: String

    public init(_ buffer: UnsafeRawBufferPointer, what: String) { self.buffer = buffer; self.what = what }

    mutating func take(_ n: Int) throws -> UnsafeRawBufferPointer {
        guard n >= 0, position + n <= buffer.count else {
            throw StateCorruption(detail: "\(what): record truncated at byte \(position) (need \(n) of \(buffer.count))")
        }
        defer { position += n }
        return UnsafeRawBufferPointer(rebasing: buffer[position..<(position + n)])
    }
    public mutating func u8() throws -> UInt8 { try take(1)[0] }
    public mutating func u32() throws -> UInt32 {
        let b = try take(4)
        return UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3])
    }
    public mutating func u64() throws -> UInt64 { UInt64(try u32()) << 32 | UInt64(try u32()) }
    public mutating func i64() throws -> Int64 { Int64(bitPattern: try u64() ^ (1 << 63)) }
    public mutating func i32() throws -> Int32 { Int32(bitPattern: try u32() ^ (1 << 31)) }
    public mutating func bytes() throws -> [UInt8] { Array(try take(Int(try u32()))) }
    public mutating func string() throws -> String { String(decoding: try take(Int(try u32())), as: UTF8.self) }
    public var isAtEnd: Bool { position == buffer.count }
}

/// The durable state does not decode: the store was damaged or written by an
/// incompatible version. The rater stops rather than guess.
public struct StateCorruption: Error, CustomStringConvertible {
    public var detail: String
    public var description: String { "state corruption: \(detail)" }
}
